package main

import (
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/spf13/cobra"

	"pacer.dev/pacer/internal/marathon"
	"pacer.dev/pacer/lb"
)

// runLBOptions are run's --lb-* flags: pacer lb's lb.Config, prefixed.
type runLBOptions struct{ lb.Config }

func addRunLBFlags(cmd *cobra.Command, o *runLBOptions) {
	o.RegisterFlags(cmd.Flags(), "lb-")
}

// pipeline builds the LB pipeline the way pacer lb does, following events
// (a subscription of the process's event hub; polling only when nil), with
// its metrics registered on reg (pacer run's registry, served at /metrics).
func (o *runLBOptions) pipeline(client *marathon.Client, events lb.EventStream, reg prometheus.Registerer) (*lb.Pipeline, error) {
	// pacer run keeps the file converged even when nothing reloads HAProxy.
	if err := o.Validate(false); err != nil {
		return nil, fmt.Errorf("run: %w", err)
	}
	p, err := o.Pipeline(&lb.Source{Lister: client, Events: events})
	if err != nil {
		return nil, fmt.Errorf("run: %w", err)
	}
	if p.Sink, err = o.Sink(); err != nil {
		return nil, fmt.Errorf("run: %w", err)
	}
	if p.Metrics, err = lb.NewMetrics(reg); err != nil {
		return nil, fmt.Errorf("run: %w", err)
	}
	return p, nil
}
