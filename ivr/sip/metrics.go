package sip

import (
	"strconv"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the voice series in /metrics.
type Metrics struct {
	inProgress prometheus.Gauge
	// unconfirmed: calls answered (200 sent) whose ACK never came.
	unconfirmed prometheus.Counter
	attempts    *prometheus.CounterVec // by final response code to the INVITE
	rtp         *prometheus.CounterVec // sent, received, lost
	dtmf        *prometheus.CounterVec // by method
	// registers refused, by reason (registrar.go)
	registers *prometheus.CounterVec
}

// NewMetrics registers the voice series on reg (nil: unregistered, for
// tests).
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		inProgress: prometheus.NewGauge(prometheus.GaugeOpts{Name: "hotline_sip_calls_in_progress", Help: "Answered calls not yet ended."}),
		attempts: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "hotline_sip_call_attempts_total",
			Help: "INVITEs that started a call, by the final response code sent (200, 404, 486, 487, 488, 503...), counted when it is sent."}, []string{"code"}),
		unconfirmed: prometheus.NewCounter(prometheus.CounterOpts{Name: "hotline_sip_calls_unconfirmed_total",
			Help: "Calls answered (counted as 200) whose ACK never came: after 64*T1 (32 s) of 200 retransmissions we hang up with BYE."}),
		rtp: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "hotline_rtp_packets_total",
			Help: "RTP packets of ended calls: sent, received, and lost (sequence gaps) from callers."}, []string{"direction"}),
		dtmf: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "hotline_dtmf_digits_total",
			Help: "DTMF keys received, by method: rfc4733, info or inband."}, []string{"method"}),
		registers: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "hotline_sip_registers_refused_total",
			Help: "REGISTERs of agents' phones refused, by reason: rate_limited (503, the source's phones.registers_per_source), locked_out (503, phones.register_failures), bad_credentials (403 or a new challenge), replayed (a used nonce-count: a new challenge)."}, []string{"reason"}),
	}
	for _, reason := range []string{"rate_limited", "locked_out", "bad_credentials", "replayed"} {
		m.registers.WithLabelValues(reason) // a series at 0 to alert on
	}
	if reg != nil {
		reg.MustRegister(m.inProgress, m.unconfirmed, m.attempts, m.rtp, m.dtmf, m.registers)
	}
	return m
}

func (m *Metrics) attempt(code int) { m.attempts.WithLabelValues(strconv.Itoa(code)).Inc() }

func (m *Metrics) legEnded(s LegStats) {
	m.rtp.WithLabelValues("sent").Add(float64(s.Sent))
	m.rtp.WithLabelValues("received").Add(float64(s.Received))
	m.rtp.WithLabelValues("lost").Add(float64(s.Lost))
}

func (m *Metrics) digit(method string) { m.dtmf.WithLabelValues(method).Inc() }

func (m *Metrics) registerRefused(reason string) { m.registers.WithLabelValues(reason).Inc() }
