package main

import (
	"fmt"
	"io"

	"github.com/go-logr/logr"
	"github.com/go-logr/zapr"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// newLogger builds the one logger of the process: zap behind logr, JSON for the
// cluster, console for people. Verbosity 1 turns on V(1) messages.
func newLogger(format string, verbosity int, w io.Writer) (logr.Logger, error) {
	var enc zapcore.Encoder
	switch format {
	case "json":
		cfg := zap.NewProductionEncoderConfig()
		cfg.EncodeTime = zapcore.ISO8601TimeEncoder
		enc = zapcore.NewJSONEncoder(cfg)
	case "console":
		cfg := zap.NewDevelopmentEncoderConfig()
		cfg.EncodeTime = zapcore.ISO8601TimeEncoder
		enc = zapcore.NewConsoleEncoder(cfg)
	default:
		return logr.Discard(), fmt.Errorf("--log-format %q: want console or json", format)
	}
	if verbosity < 0 || verbosity > 1 {
		return logr.Discard(), fmt.Errorf("-v %d: want 0 or 1", verbosity)
	}
	level := zap.NewAtomicLevelAt(zapcore.Level(-verbosity))
	core := zapcore.NewCore(enc, zapcore.AddSync(w), level)
	return zapr.NewLogger(zap.New(core)), nil
}
