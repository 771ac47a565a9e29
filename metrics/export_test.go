package metrics

// BenchEvents is benchEvents for the benchmarks of package metrics_test.
var BenchEvents = benchEvents

// CPUTime is cpuTime for package metrics_test.
var CPUTime = cpuTime
