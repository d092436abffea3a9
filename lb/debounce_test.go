package lb

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestDebounceValidate(t *testing.T) {
	tests := []struct {
		name    string
		d       Debounce
		wantErr bool
	}{
		{"zero renders at once", Debounce{}, false},
		{"min below max", Debounce{Min: 50 * time.Millisecond, Max: time.Second}, false},
		{"min equals max", Debounce{Min: time.Second, Max: time.Second}, false},
		{"min above max", Debounce{Min: 2 * time.Second, Max: time.Second}, true},
		{"negative", Debounce{Min: -1, Max: time.Second}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.d.Validate(); (err != nil) != tc.wantErr {
				t.Errorf("Validate() = %v, want error %v", err, tc.wantErr)
			}
		})
	}
}

// TestDebouncer steps a burst through the quiet time and the deadline.
func TestDebouncer(t *testing.T) {
	ms := time.Millisecond
	t0 := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	type check struct {
		at   time.Duration // since t0
		add  bool          // a change arrives at this time
		fire bool
		wait time.Duration
	}
	tests := []struct {
		name   string
		cfg    Debounce
		checks []check
		// interval and written (since t0, negative: before t0) set the
		// minimum time between writes and the last write.
		interval time.Duration
		written  *time.Duration
	}{
		{
			name:   "nothing pending",
			cfg:    Debounce{Min: 50 * ms, Max: time.Second},
			checks: []check{{at: 0, fire: false, wait: 0}},
		},
		{
			name: "single change waits the quiet time",
			cfg:  Debounce{Min: 50 * ms, Max: time.Second},
			checks: []check{
				{at: 0, add: true, wait: 50 * ms},
				{at: 49 * ms, wait: ms},
				{at: 50 * ms, fire: true},
			},
		},
		{
			name: "each change restarts the quiet time",
			cfg:  Debounce{Min: 50 * ms, Max: time.Second},
			checks: []check{
				{at: 0, add: true, wait: 50 * ms},
				{at: 40 * ms, add: true, wait: 50 * ms},
				{at: 80 * ms, add: true, wait: 50 * ms},
				{at: 129 * ms, wait: ms},
				{at: 130 * ms, fire: true},
			},
		},
		{
			name: "a steady stream fires at the deadline",
			cfg:  Debounce{Min: 50 * ms, Max: 100 * ms},
			checks: []check{
				{at: 0, add: true, wait: 50 * ms},
				{at: 40 * ms, add: true, wait: 50 * ms},
				{at: 80 * ms, add: true, wait: 20 * ms},
				{at: 100 * ms, fire: true},
			},
		},
		{
			name:     "a write long ago does not delay a single change",
			cfg:      Debounce{Min: 20 * ms, Max: time.Second},
			interval: time.Second, written: durPtr(-5 * time.Second),
			checks: []check{
				{at: 0, add: true, wait: 20 * ms},
				{at: 20 * ms, fire: true},
			},
		},
		{
			name:     "a recent write holds the burst until the interval passed",
			cfg:      Debounce{Min: 20 * ms, Max: time.Second},
			interval: time.Second, written: durPtr(-300 * ms),
			checks: []check{
				{at: 0, add: true, wait: 700 * ms},
				{at: 500 * ms, add: true, wait: 200 * ms},
				{at: 699 * ms, wait: ms},
				{at: 700 * ms, fire: true},
			},
		},
		{
			name:     "the interval outlasts the deadline",
			cfg:      Debounce{Min: 20 * ms, Max: 100 * ms},
			interval: 2 * time.Second, written: durPtr(0),
			checks: []check{
				{at: 0, add: true, wait: 2 * time.Second},
				{at: 2 * time.Second, fire: true},
			},
		},
		{
			name:   "zero debounce fires at once",
			cfg:    Debounce{},
			checks: []check{{at: 0, add: true, fire: true}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := debouncer{cfg: tc.cfg, interval: tc.interval}
			if tc.written != nil {
				d.wrote(t0.Add(*tc.written))
			}
			var got, want []check
			for _, c := range tc.checks {
				now := t0.Add(c.at)
				if c.add {
					d.add(now)
				}
				fire, wait := d.due(now)
				got = append(got, check{at: c.at, add: c.add, fire: fire, wait: wait})
				want = append(want, c)
			}
			if diff := cmp.Diff(want, got, cmp.AllowUnexported(check{})); diff != "" {
				t.Errorf("due (-want +got):\n%s", diff)
			}
			if got[len(got)-1].fire {
				if first := d.reset(); !first.Equal(t0) {
					t.Errorf("reset() = %v, want the burst start %v", first, t0)
				}
				if fire, wait := d.due(t0.Add(time.Hour)); fire || wait != 0 {
					t.Errorf("after reset due = %v, %v; want nothing pending", fire, wait)
				}
			}
		})
	}
}

func durPtr(d time.Duration) *time.Duration { return &d }
