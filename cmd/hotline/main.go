// Command hotline runs the Hotline contact center.
//
//	hotline [serve] [flags]   run the server (the default)
//	hotline migrate [flags]   apply pending database migrations and exit
//	hotline flow validate DIR check a directory of IVR flows
//	hotline flow test DIR     run a directory's flow tests
//	hotline kb import|export|search|reindex   the knowledge base (docs/knowledge.md)
//	hotline version           print the version
//
// Flags, environment variables and the configuration file are described in
// docs/configuration.md; `hotline serve -h` lists them.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/hotline10000/hotline/agentdesk"
	"github.com/hotline10000/hotline/internal/config"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], env{stdout: os.Stdout, stderr: os.Stderr, getenv: os.LookupEnv}))
}

// env is what a run sees of the outside world; tests replace it.
type env struct {
	stdout, stderr io.Writer
	getenv         func(string) (string, bool)
	onListen       func(net.Addr)  // told the HTTP address once it listens
	clock          agentdesk.Clock // the desk's and the IVR's time; nil: the wall clock
}

// run executes one command line and returns the exit status: 0 success,
// 1 failure at run time, 2 a usage or configuration error.
func run(ctx context.Context, args []string, e env) int {
	cmd := "serve"
	if len(args) > 0 && len(args[0]) > 0 && args[0][0] != '-' {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "version":
		fmt.Fprintln(e.stdout, versionString())
		return 0
	case "help":
		usage(e.stdout)
		return 0
	case "flow":
		return flowCommand(args, e)
	case "kb":
		return kbCommand(ctx, args, e)
	case "kpi":
		return kpiCommand(ctx, args, e)
	case "serve", "migrate":
	default:
		fmt.Fprintf(e.stderr, "hotline: unknown command %q (commands: serve, migrate, flow, kb, kpi, version, help)\n", cmd)
		return 2
	}
	cfg, rest, err := config.Load(args, e.getenv)
	if errors.Is(err, flag.ErrHelp) {
		usage(e.stdout)
		return 0
	}
	if err != nil {
		fmt.Fprintf(e.stderr, "hotline: %s\n", oneLine(err))
		return 2
	}
	if len(rest) > 0 {
		fmt.Fprintf(e.stderr, "hotline %s: unexpected argument %q\n", cmd, rest[0])
		return 2
	}
	log := newLogger(e.stderr, cfg)
	switch cmd {
	case "migrate":
		err = migrate(ctx, cfg, log, e.stdout)
	default:
		err = serve(ctx, cfg, log, e)
	}
	if err != nil {
		fmt.Fprintf(e.stderr, "hotline %s: %s\n", cmd, oneLine(err))
		return 1
	}
	return 0
}

func usage(w io.Writer) {
	fmt.Fprint(w, `Usage:
  hotline [serve] [flags]   run the contact center (HTTP, store, demo data)
  hotline migrate [flags]   apply pending database migrations and exit
  hotline flow validate DIR check a directory of IVR flows (file:line: node: problem)
  hotline flow test DIR     run the flow tests in DIR/tests/*.txt
  hotline kb import FILE|DIR, kb export, kb search QUERY [--json], kb reindex
                            the knowledge base (docs/knowledge.md)
  hotline kpi run --day YYYY-MM-DD [--json]
                            compute and store a day's batch KPIs (docs/metrics.md)
  hotline version           print the version

Flags (each also an environment variable; see docs/configuration.md):
`)
	config.Usage(w)
}

func newLogger(w io.Writer, cfg config.Config) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(cfg.Log.Level))
	opts := &slog.HandlerOptions{Level: level}
	if cfg.Log.Format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// oneLine folds a multi-line error (drivers like to add detail lines) so an
// operator sees one line naming the key.
func oneLine(err error) string {
	return strings.Join(strings.Fields(strings.ReplaceAll(err.Error(), "\n", "; ")), " ")
}
