// Command hotline-sim drives Hotline's domain packages on virtual time.
//
//	hotline-sim acd [flags]   simulate the ACD under Poisson traffic and
//	                          compare with Erlang C / Erlang A
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
)

const usage = `hotline-sim drives Hotline's domain packages on virtual time.

Usage:
  hotline-sim acd [flags]   simulate the ACD under Poisson traffic and compare
                            with Erlang C / Erlang A; prints one JSON report
  hotline-sim help          this text (also -h, --help)

Run 'hotline-sim acd --help' for the flags of acd.
`

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	switch args[0] {
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	case "acd":
		p, err := parseACDFlags(args[1:], stdout, stderr)
		if errors.Is(err, flag.ErrHelp) {
			return 0 // the flags were listed on stdout, as asked
		}
		if err != nil {
			return 2
		}
		rep, err := simulate(p)
		if err != nil {
			fmt.Fprintln(stderr, "hotline-sim acd:", err)
			return 1
		}
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
			fmt.Fprintln(stderr, "hotline-sim acd:", err)
			return 1
		}
		return 0
	}
	fmt.Fprintf(stderr, "hotline-sim: unknown subcommand %q\n\n%s", args[0], usage)
	return 2
}
