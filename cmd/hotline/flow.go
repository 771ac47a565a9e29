package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/hotline10000/hotline/ivr"
	"github.com/hotline10000/hotline/ivr/flowtest"
)

// flowCommand runs `hotline flow validate DIR` and `hotline flow test DIR`
// for flow authors: validate loads every flow as the server would and lists
// each problem as file:line: node: message; test runs DIR/tests/*.txt.
func flowCommand(args []string, e env) int {
	if len(args) != 2 || (args[0] != "validate" && args[0] != "test") {
		fmt.Fprintln(e.stderr, "usage: hotline flow validate DIR | hotline flow test DIR")
		return 2
	}
	dir, err := filepath.Abs(args[1])
	if err != nil {
		fmt.Fprintf(e.stderr, "hotline flow: %v\n", err)
		return 2
	}
	fsys := os.DirFS(dir)
	switch args[0] {
	case "validate":
		lib, err := ivr.LoadDir(fsys, ".")
		if err != nil {
			var le *ivr.LoadError
			if errors.As(err, &le) {
				fmt.Fprintln(e.stderr, le.Error())
			} else {
				fmt.Fprintf(e.stderr, "hotline flow validate: %v\n", err)
			}
			return 1
		}
		fmt.Fprintf(e.stdout, "%s: %d flows valid\n", args[1], len(lib.Flows()))
		return 0
	default:
		passed, failed, err := flowtest.RunDir(fsys, ".", e.stdout)
		if err != nil {
			fmt.Fprintf(e.stderr, "hotline flow test: %v\n", err)
			return 1
		}
		// RunDir has written one line per test and the totals.
		if failed > 0 || passed == 0 {
			return 1
		}
		return 0
	}
}
