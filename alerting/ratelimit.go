package alerting

import "time"

// window allows at most limit sends in any span of per: a sliding log of
// send times, so a burst after a quiet spell goes out at once and the rest
// waits, never dropped.
type window struct {
	limit int
	per   time.Duration
	sent  []time.Time
}

// wait returns how long to wait before the next send at now; zero means
// send now.
func (w *window) wait(now time.Time) time.Duration {
	cutoff := now.Add(-w.per)
	i := 0
	for i < len(w.sent) && !w.sent[i].After(cutoff) {
		i++
	}
	w.sent = w.sent[i:]
	if len(w.sent) < w.limit {
		return 0
	}
	return w.sent[0].Add(w.per).Sub(now)
}

// record notes a send at now.
func (w *window) record(now time.Time) { w.sent = append(w.sent, now) }

// backoff is the delay before retry number attempt (1-based): base doubled
// each time up to max, with "equal jitter" (half fixed, half random) so many
// pacers do not retry in step. jitter returns a number in [0, 1).
func backoff(attempt int, base, max time.Duration, jitter func() float64) time.Duration {
	d := base
	for i := 1; i < attempt && d < max; i++ {
		d *= 2
	}
	d = min(d, max)
	half := d / 2
	return half + time.Duration(jitter()*float64(d-half))
}
