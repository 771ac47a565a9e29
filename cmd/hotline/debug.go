package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"runtime"
	"time"
)

// debugListener serves the Go profiler on debug.addr (loopback only, the
// configuration refuses anything else; off by default). It has its own
// server and mux, so nothing of it reaches the public listener, and mutex
// and block profiles are sampled only while it is on.
type debugListener struct {
	srv *http.Server
	ln  net.Listener
}

// Sampling while the profiler is on: one mutex contention event in 20, and
// blocking of 100 µs and more, cheap enough to leave on under load.
const (
	debugMutexFraction = 20
	debugBlockRate     = int(100 * time.Microsecond)
)

func startDebug(addr string, log *slog.Logger) (*debugListener, error) {
	if addr == "" {
		return nil, nil
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("debug.addr: %w", err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	runtime.SetMutexProfileFraction(debugMutexFraction)
	runtime.SetBlockProfileRate(debugBlockRate)
	d := &debugListener{ln: ln, srv: &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second,
		ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}}
	log.Info("profiler listening", "debug", ln.Addr().String())
	return d, nil
}

// run serves until stop is called.
func (d *debugListener) run() error {
	if err := d.srv.Serve(d.ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("debug listener: %w", err)
	}
	return nil
}

// stop ends the listener; a profile being taken is cut short.
func (d *debugListener) stop() {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if d.srv.Shutdown(ctx) != nil {
		d.srv.Close()
	}
	runtime.SetMutexProfileFraction(0)
	runtime.SetBlockProfileRate(0)
}
