package main

import (
	"math"
	"testing"
)

func TestErlangFormulas(t *testing.T) {
	tests := []struct {
		name      string
		got, want float64
	}{
		// M/M/1: P(wait) = ρ, ASA = ρ/(1−ρ)·AHT.
		{"M/M/1 p_wait", erlangCModel(1, 0.5/100, 100, 20).PWait, 0.5},
		{"M/M/1 asa", erlangCModel(1, 0.5/100, 100, 20).ASA, 100},
		{"M/M/1 sl", erlangCModel(1, 0.5/100, 100, 20).ServiceLevel, 1 - 0.5*math.Exp(-0.5*20/100.0)},
		// M/M/2 at ρ = 0.5: P(wait) = 1/3 (textbook).
		{"M/M/2 p_wait", erlangC(2, 1), 1.0 / 3},
		// Erlang B(5, 3) = 0.11005 (standard tables).
		{"erlang B", erlangB(5, 3), 0.110054},
		// Erlang C(10, 8) = 0.40918 (standard tables).
		{"erlang C", erlangC(10, 8), 0.409180},
		// Patience → ∞: Erlang A tends to Erlang C.
		{"A→C p_wait", erlangAModel(10, 8.0/300, 300, 1e9).PWait, erlangC(10, 8)},
		// M/M/1+M with μ = θ is M/M/∞-like for the queue: with λ = μ = θ
		// the number in system is Poisson(1), so P(n ≥ 1) = 1 − e^{−1} and
		// abandons = θ·E[(n−1)+]/λ = E[n] − P(n ≥ 1) = e^{−1}.
		{"M/M/1+M p_wait", erlangAModel(1, 0.01, 100, 100).PWait, 1 - math.Exp(-1)},
		{"M/M/1+M abandon", erlangAModel(1, 0.01, 100, 100).AbandonRate, math.Exp(-1)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if math.Abs(tt.got-tt.want) > 1e-4*math.Max(1, math.Abs(tt.want)) {
				t.Errorf("got %.6f, want %.6f", tt.got, tt.want)
			}
		})
	}
}

func TestMeanCI(t *testing.T) {
	m, h := meanCI([]float64{1, 2, 3, 4, 5})
	// sd = 1.5811, t(4) = 2.776, half = 2.776·1.5811/√5 = 1.963.
	if m != 3 || math.Abs(h-1.963) > 1e-3 {
		t.Errorf("got mean %v half %v, want 3, 1.963", m, h)
	}
}
