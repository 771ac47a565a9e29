// Command hotline-sim drives Hotline's domain packages on virtual time.
//
//	hotline-sim acd [flags]   simulate the ACD under Poisson traffic and
//	                          compare with Erlang C / Erlang A
package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprintln(stderr, "usage: hotline-sim acd [flags]  (hotline-sim acd -h lists the flags)")
		return 2
	}
	switch args[0] {
	case "acd":
		p, err := parseACDFlags(args[1:], stderr)
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
	fmt.Fprintf(stderr, "hotline-sim: unknown subcommand %q\n", args[0])
	return 2
}
