package main

import (
	"fmt"
	"io"
	"text/tabwriter"

	"pacer.dev/pacer/checks"
	"pacer.dev/pacer/specs"
)

func writeCheckList(w io.Writer, list []specs.Check) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "CHECK\tKIND\tTARGET\tINTERVAL\tFOR/CLEAR\tPAGES")
	for _, c := range list {
		target := c.App()
		if c.Query != nil {
			target = c.Query.URL
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d/%d\t%t\n", c.ID, c.Kind, target, c.Settings.Interval, c.Settings.For, c.Settings.ClearFor, c.Settings.Page)
	}
	return tw.Flush()
}

// writeCheckStates prints check states as pacer status does.
func writeCheckStates(w io.Writer, states []checks.CheckState) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "CHECK\tSTATE\tSINCE\tLAST RUN\tOUTPUT")
	for _, s := range states {
		st := s.Status.Hard.String()
		if s.Status.Runs == 0 {
			st = "PENDING"
		}
		if s.Status.Soft {
			st += fmt.Sprintf(" (soft %s %d)", s.Status.Last.State, s.Status.Streak)
		}
		since, last := "-", "never"
		if !s.Status.Since.IsZero() {
			since = s.Status.Since.UTC().Format("2006-01-02T15:04:05Z")
		}
		if s.Status.Runs > 0 {
			last = s.Status.Last.Started.UTC().Format("2006-01-02T15:04:05Z")
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", s.ID, st, since, last, s.Status.Last.Summary)
	}
	return tw.Flush()
}
