package main

import (
	"fmt"
	"log/slog"

	"github.com/hotline10000/hotline/internal/config"
	"github.com/hotline10000/hotline/ivr/phone/webphone"
)

// newSoftphone is the server's end of the desk phones (softphone.*), or
// nil when desks are no phones.
func newSoftphone(cfg config.Config, log *slog.Logger) (*webphone.Endpoint, error) {
	s := cfg.Softphone
	if !s.Enabled {
		return nil, nil
	}
	ep, err := webphone.New(webphone.Config{IPs: s.IPs, PublicIPs: s.PublicIPs, PortMin: uint16(s.PortMin), PortMax: uint16(s.PortMax),
		Logger: log.With("component", "softphone")})
	if err != nil {
		return nil, fmt.Errorf("softphone: %w", err)
	}
	return ep, nil
}
