package checks

import "time"

// Status is a check's state over its results, Nagios' soft/hard states:
// a failing result is soft until For consecutive failing results make it
// hard; a hard failure recovers after ClearFor consecutive OK results. Only
// the hard state pages.
type Status struct {
	// Hard is the state that counts: OK until For failing results in a
	// row, then the latest failing state until ClearFor OK results in a row.
	Hard State `json:"hard"`
	// Soft is true while the latest result disagrees with Hard (a failure
	// not yet confirmed, or a recovery not yet confirmed).
	Soft bool `json:"soft"`
	// Streak counts the latest results in a row that disagree with Hard.
	Streak int `json:"streak"`
	// Since is when Hard took its value (zero before the first change).
	Since time.Time `json:"since,omitzero"`
	// Runs counts the results observed; Last is the latest.
	Runs int    `json:"runs"`
	Last Result `json:"last"`
}

// Observe adds one result; forN and clearFor are the check's for and
// clearFor (values below 1 count as 1). It reports whether Hard changed.
func (s *Status) Observe(r Result, forN, clearFor int) bool {
	forN, clearFor = max(forN, 1), max(clearFor, 1)
	s.Runs++
	s.Last = r
	prev := s.Hard
	switch {
	case r.State == s.Hard:
		s.Streak, s.Soft = 0, false
	case r.State != OK && s.Hard != OK:
		// A hard failure changing severity (WARNING to CRITICAL) stays
		// hard and takes the new state at once, as in Nagios.
		s.Hard, s.Streak, s.Soft = r.State, 0, false
	default:
		s.Streak++
		need := forN
		if r.State == OK {
			need = clearFor
		}
		if s.Streak >= need {
			s.Hard, s.Streak, s.Soft = r.State, 0, false
		} else {
			s.Soft = true
		}
	}
	if s.Hard != prev {
		s.Since = r.Started
		return true
	}
	return false
}
