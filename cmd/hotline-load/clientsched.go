package main

import (
	"math"
	rtmetrics "runtime/metrics"
	"time"
)

// clientSched reads this process's scheduler latency histogram
// (runtime/metrics /sched/latencies): how long the load tool's own
// goroutines waited for a CPU. A chat error at the client (a dial or
// handshake timing out) on a machine where the tool waits seconds says
// more about the machine than about the node.
func clientSched() *rtmetrics.Float64Histogram {
	s := []rtmetrics.Sample{{Name: "/sched/latencies:seconds"}}
	rtmetrics.Read(s)
	if s[0].Value.Kind() != rtmetrics.KindFloat64Histogram {
		return nil
	}
	return s[0].Value.Float64Histogram()
}

// schedQuantiles gives the count of waits between two readings and the
// upper bound of the bucket holding each quantile.
func schedQuantiles(before, after *rtmetrics.Float64Histogram, qs ...float64) (uint64, []time.Duration) {
	if before == nil || after == nil || len(before.Counts) != len(after.Counts) {
		return 0, nil
	}
	var total uint64
	for i := range after.Counts {
		total += after.Counts[i] - before.Counts[i]
	}
	out := make([]time.Duration, len(qs))
	for j, q := range qs {
		var seen uint64
		out[j] = -1 // past the last bound
		for i := range after.Counts {
			seen += after.Counts[i] - before.Counts[i]
			if float64(seen) >= q*float64(total) && total > 0 {
				if ub := after.Buckets[i+1]; !math.IsInf(ub, 1) {
					out[j] = time.Duration(ub * float64(time.Second))
				}
				break
			}
		}
	}
	return total, out
}
