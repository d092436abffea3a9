package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/go-logr/logr"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"pacer.dev/pacer/internal/httpserve"
	"pacer.dev/pacer/lb"
)

// serveLBMetrics registers the pipeline's metrics on a new registry and
// serves it at http://addr/metrics (pacer lb --metrics-listen), with the
// connection limits of limits, until stop is called.
func serveLBMetrics(ctx context.Context, addr string, limits httpserve.Options, p *lb.Pipeline) (stop func(), err error) {
	reg := prometheus.NewRegistry()
	if p.Metrics, err = lb.NewMetrics(reg); err != nil {
		return nil, fmt.Errorf("lb: %w", err)
	}
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("lb: --metrics-listen: %w", err)
	}
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg}))
	srv, ln := httpserve.New(mux, ln, limits)
	log := logr.FromContextOrDiscard(ctx)
	go func() {
		if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			log.Error(err, "Metrics server stopped")
		}
	}()
	log.Info("Serving metrics", "addr", ln.Addr().String())
	return func() {
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}, nil
}
