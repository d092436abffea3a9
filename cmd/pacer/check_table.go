package main

import (
	"fmt"
	"io"
	"text/tabwriter"

	"pacer.dev/pacer/specs"
	"pacer.dev/pacer/status"
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

// writeCheckStates prints check records as pacer status does.
func writeCheckStates(w io.Writer, cs []status.Check) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "CHECK\tSTATE\tSINCE\tLAST RUN\tOUTPUT")
	for _, c := range cs {
		st := string(c.State)
		if c.Soft {
			st += fmt.Sprintf(" (soft %s %d)", c.SoftState, c.Streak)
		}
		since, last := "-", "never"
		if !c.Since.IsZero() {
			since = c.Since.UTC().Format("2006-01-02T15:04:05Z")
		}
		if c.Runs > 0 {
			last = c.LastRun.UTC().Format("2006-01-02T15:04:05Z")
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", c.ID, st, since, last, c.Summary)
	}
	return tw.Flush()
}
