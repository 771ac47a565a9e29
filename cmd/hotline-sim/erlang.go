package main

import "math"

// Erlang C (M/M/N, no abandonment) and Erlang A (M/M/N+M, exponential
// patience) for one queue of N identical agents, arrival rate lambda and
// mean handle time aht (both in seconds).

// erlangB is the blocking probability, by the stable recursion
// B(0) = 1, B(k) = A·B(k−1) / (k + A·B(k−1)).
func erlangB(n int, a float64) float64 {
	b := 1.0
	for k := 1; k <= n; k++ {
		b = a * b / (float64(k) + a*b)
	}
	return b
}

// erlangC is the probability that a contact waits; 1 when the load is not
// below the number of agents.
func erlangC(n int, a float64) float64 {
	if a >= float64(n) {
		return 1
	}
	b := erlangB(n, a)
	return float64(n) * b / (float64(n) - a*(1-b))
}

// erlangCResult is the steady state of M/M/N.
type erlangCResult struct {
	PWait        float64 `json:"p_wait"`
	ASA          float64 `json:"asa_s"`
	ServiceLevel float64 `json:"service_level"`
	Occupancy    float64 `json:"occupancy"`
}

func erlangCModel(n int, lambda, aht, threshold float64) erlangCResult {
	a := lambda * aht
	pw := erlangC(n, a)
	gap := float64(n) - a
	return erlangCResult{
		PWait:        pw,
		ASA:          pw * aht / gap,
		ServiceLevel: 1 - pw*math.Exp(-gap*threshold/aht),
		Occupancy:    a / float64(n),
	}
}

// erlangAResult is the steady state of M/M/N+M.
type erlangAResult struct {
	PWait       float64 `json:"p_wait"`
	AbandonRate float64 `json:"abandon_rate"`
	Occupancy   float64 `json:"occupancy"`
	// MeanQueue is the mean number of contacts waiting.
	MeanQueue float64 `json:"mean_queue"`
}

// erlangAModel solves the birth–death chain of M/M/N+M exactly, truncated
// where the stationary probabilities vanish (beyond N there is a death rate
// N·μ + k·θ that grows without bound, so the tail falls faster than
// geometrically). Abandonment probability = θ·E[queue] / λ.
func erlangAModel(n int, lambda, aht, patience float64) erlangAResult {
	mu, theta := 1/aht, 1/patience
	// Work in log space relative to the running maximum to avoid overflow
	// for large N.
	var logp []float64
	lp := 0.0
	logp = append(logp, 0)
	for k := 1; ; k++ {
		death := float64(min(k, n)) * mu
		if k > n {
			death += float64(k-n) * theta
		}
		lp += math.Log(lambda / death)
		logp = append(logp, lp)
		if k > n && lp < logp[n]-60 && lambda < death {
			break
		}
		if k > n+1_000_000 {
			break
		}
	}
	maxLog := math.Inf(-1)
	for _, v := range logp {
		maxLog = max(maxLog, v)
	}
	var z, wait, queue, busy float64
	for k, v := range logp {
		p := math.Exp(v - maxLog)
		z += p
		if k >= n {
			wait += p
			queue += float64(k-n) * p
		}
		busy += float64(min(k, n)) * p
	}
	return erlangAResult{
		PWait:       wait / z,
		AbandonRate: theta * (queue / z) / lambda,
		Occupancy:   busy / z / float64(n),
		MeanQueue:   queue / z,
	}
}
