package alerting

import (
	"strings"
	"testing"
)

func TestDedupKey(t *testing.T) {
	long := "/" + strings.Repeat("very-long-group/", 20) + "app"
	tests := []struct {
		name    string
		cluster string
		app     string
		cond    Condition
		want    string
	}{
		{"app", "ams", "/services/autofill/production/app", Unhealthy, "pacer/ams/services/autofill/production/app/Unhealthy"},
		{"cluster", "ams", "", MarathonUnreachable, "pacer/ams/-/MarathonUnreachable"},
		{"cluster ignores an app", "ams", "/x", LBConfigInvalid, "pacer/ams/-/LBConfigInvalid"},
		{"too long", "ams", long, OutOfSync,
			"pacer/ams/" + strings.Repeat("very-long-group/", 13) + "very-long~b4253404c649d1cb~/OutOfSync"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := DedupKey(tc.cluster, tc.app, tc.cond)
			if got != tc.want {
				t.Errorf("DedupKey = %q\nwant       %q", got, tc.want)
			}
			if len(got) > maxDedupKey {
				t.Errorf("len = %d > %d", len(got), maxDedupKey)
			}
		})
	}
	if DedupKey("ams", long, OutOfSync) == DedupKey("ams", long+"2", OutOfSync) {
		t.Error("long keys of different apps collide")
	}
}

func TestParseCondition(t *testing.T) {
	for _, c := range Conditions() {
		if got, err := ParseCondition(string(c)); err != nil || got != c {
			t.Errorf("ParseCondition(%s) = %s, %v", c, got, err)
		}
	}
	if _, err := ParseCondition("Nope"); err == nil {
		t.Error("ParseCondition(Nope) = nil error")
	}
}
