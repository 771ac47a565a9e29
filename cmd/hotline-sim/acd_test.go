package main

import (
	"bytes"
	"encoding/json"
	"math"
	"strings"
	"testing"
)

// The simulator against queueing theory, short enough for every test run.
// Seeds are fixed, so the figures are deterministic; the tolerances are
// still set for sampling error, at least four standard errors of the mean
// of these runs (standard errors measured over ten seeds: ASA ±13 %,
// service level ±0.02, occupancy ±0.009 per 20 000-contact run at ρ = 0.83),
// so that a different random stream (another Go release) cannot flake them.
func TestSimulatorMatchesErlangC(t *testing.T) {
	p := acdParams{Agents: 5, Rate: 50, AHT: 300, SLThreshold: 20, Contacts: 60000, Warmup: 5000, Seed: 1, Runs: 3}
	rep, err := simulate(p)
	if err != nil {
		t.Fatal(err)
	}
	th := erlangCModel(p.Agents, p.Rate/3600, p.AHT, p.SLThreshold)
	checks := []struct {
		name      string
		got, want float64
		tol       float64
	}{
		{"asa_s", rep.ASA, th.ASA, 0.20 * th.ASA},
		{"service_level", rep.ServiceLevel, th.ServiceLevel, 0.04},
		{"occupancy", rep.Occupancy, th.Occupancy, 0.02},
		{"abandon_rate", rep.AbandonRate, 0, 0},
	}
	for _, c := range checks {
		if math.Abs(c.got-c.want) > c.tol {
			t.Errorf("%s: got %.4f, want %.4f ± %.4f", c.name, c.got, c.want, c.tol)
		}
	}
	if rep.Offered != float64(p.Contacts) || rep.Answered != rep.Offered {
		t.Errorf("got offered %v answered %v, want %d each", rep.Offered, rep.Answered, p.Contacts)
	}
}

// Per-run standard error of the abandon rate at these settings is ≈ 0.004.
func TestSimulatorMatchesErlangA(t *testing.T) {
	p := acdParams{Agents: 5, Rate: 60, AHT: 300, Patience: 180, SLThreshold: 20, Contacts: 40000, Warmup: 4000, Seed: 1, Runs: 3}
	rep, err := simulate(p)
	if err != nil {
		t.Fatal(err)
	}
	th := erlangAModel(p.Agents, p.Rate/3600, p.AHT, p.Patience)
	if math.Abs(rep.AbandonRate-th.AbandonRate) > 0.015 {
		t.Errorf("abandon_rate: got %.4f, want %.4f ± 0.015", rep.AbandonRate, th.AbandonRate)
	}
	if math.Abs(rep.Occupancy-th.Occupancy) > 0.02 {
		t.Errorf("occupancy: got %.4f, want %.4f ± 0.02", rep.Occupancy, th.Occupancy)
	}
	if got := rep.Answered + rep.Abandoned; got != rep.Offered {
		t.Errorf("answered + abandoned = %v, want offered %v", got, rep.Offered)
	}
}

// VIP contacts (strict priority) wait less than the others.
func TestSimulatorPriority(t *testing.T) {
	p := acdParams{Agents: 5, Rate: 54, AHT: 300, SLThreshold: 20, Contacts: 20000, Warmup: 2000, Seed: 3, Runs: 1, VIPShare: 0.2}
	rep, err := simulate(p)
	if err != nil {
		t.Fatal(err)
	}
	vip, std := rep.ByPriority["vip"], rep.ByPriority["standard"]
	if vip.Offered == 0 || std.Offered == 0 {
		t.Fatalf("got %+v", rep.ByPriority)
	}
	if vip.ASA*3 > std.ASA {
		t.Errorf("got vip ASA %.1f s, standard %.1f s: want vip at least 3× faster", vip.ASA, std.ASA)
	}
}

func TestSimulatorRingAndWrapUp(t *testing.T) {
	p := acdParams{Agents: 5, Rate: 40, AHT: 300, Patience: 300, SLThreshold: 20, Contacts: 5000, Warmup: 500, Seed: 2, Runs: 1, Ring: 5, WrapUp: 30}
	rep, err := simulate(p)
	if err != nil {
		t.Fatal(err)
	}
	// Each answer waits at least the ring time.
	if rep.ASA < 5 {
		t.Errorf("asa_s: got %.2f, want ≥ 5 (ring)", rep.ASA)
	}
	// Wrap-up adds 30 s to each 300 s contact: occupancy near λ·(AHT+30)/N.
	want := 40.0 / 3600 * 330 / 5 * (1 - rep.AbandonRate)
	if math.Abs(rep.Occupancy-want) > 0.05 {
		t.Errorf("occupancy: got %.3f, want ≈ %.3f", rep.Occupancy, want)
	}
}

func TestRunPrintsOneJSONObject(t *testing.T) {
	var out, errb bytes.Buffer
	code := run([]string{"acd", "--agents", "3", "--rate", "20", "--aht", "300", "--contacts", "500", "--vip-share", "0.1", "--seed", "4"}, &out, &errb)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	var m map[string]any
	dec := json.NewDecoder(&out)
	if err := dec.Decode(&m); err != nil {
		t.Fatal(err)
	}
	if dec.More() {
		t.Error("more than one JSON value")
	}
	for _, k := range []string{"offered", "answered", "abandoned", "service_level", "asa_s", "abandon_rate", "occupancy", "by_priority", "theory"} {
		if _, ok := m[k]; !ok {
			t.Errorf("missing %q", k)
		}
	}
}

func TestRunRejectsBadFlags(t *testing.T) {
	tests := [][]string{
		{},
		{"nope"},
		{"acd", "--agents", "0"},
		{"acd", "--vip-share", "2"},
		{"acd", "--agents", "2", "--rate", "100", "--aht", "300"}, // load 8.3 > 2 agents, no patience
		{"acd", "--bogus"},
	}
	for _, args := range tests {
		var out, errb bytes.Buffer
		if code := run(args, &out, &errb); code == 0 {
			t.Errorf("%v: exit 0, want failure", args)
		}
		if strings.TrimSpace(errb.String()) == "" {
			t.Errorf("%v: no message on stderr", args)
		}
	}
}

// Regression (issue 9): --help listed nothing and exited 2.
func TestHelpListsAndExitsZero(t *testing.T) {
	for _, tt := range []struct {
		args []string
		want []string
	}{
		{[]string{"--help"}, []string{"acd", "hotline-sim acd --help"}},
		{[]string{"-h"}, []string{"acd"}},
		{[]string{"help"}, []string{"acd"}},
		{[]string{"acd", "--help"}, []string{"-agents", "-rate", "-aht", "-patience", "-runs", "Erlang"}},
		{[]string{"acd", "-h"}, []string{"-agents"}},
	} {
		var out, errb bytes.Buffer
		if code := run(tt.args, &out, &errb); code != 0 {
			t.Errorf("%v: exit %d, want 0 (stderr %q)", tt.args, code, errb.String())
		}
		for _, w := range tt.want {
			if !strings.Contains(out.String(), w) {
				t.Errorf("%v: stdout %q lacks %q", tt.args, out.String(), w)
			}
		}
	}
	var out, errb bytes.Buffer
	if code := run([]string{"acd", "--agnets", "3"}, &out, &errb); code != 2 || !strings.Contains(errb.String(), "-agents") {
		t.Errorf("a misspelt flag: exit %d, stderr %q; want 2 and the flag list", code, errb.String())
	}
}
