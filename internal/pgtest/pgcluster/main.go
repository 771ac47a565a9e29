// Command pgcluster starts and stops the throwaway PostgreSQL cluster that
// the test script shares between test packages.
//
//	pgcluster start DIR   # prints the superuser URL
//	pgcluster stop DIR    # stops the server and removes DIR
package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/hotline10000/hotline/internal/pgtest"
)

func main() {
	if len(os.Args) != 3 || (os.Args[1] != "start" && os.Args[1] != "stop") {
		fmt.Fprintln(os.Stderr, "usage: pgcluster start|stop DIR")
		os.Exit(2)
	}
	dir := os.Args[2]
	if os.Args[1] == "stop" {
		if err := pgtest.StopCluster(dir, true); err != nil {
			fmt.Fprintln(os.Stderr, "pgcluster:", err)
			os.Exit(1)
		}
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	c, err := pgtest.StartCluster(ctx, dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, "pgcluster:", err)
		os.Exit(1)
	}
	fmt.Println(c.URL)
}
