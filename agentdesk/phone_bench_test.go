package agentdesk_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/hotline10000/hotline/acd"
	"github.com/hotline10000/hotline/agentdesk"
	"github.com/hotline10000/hotline/agentdesk/deskttest"
	"github.com/hotline10000/hotline/internal/bridge"
	"github.com/hotline10000/hotline/ivr"
	"github.com/hotline10000/hotline/ivr/phone"
	"github.com/hotline10000/hotline/ivr/phone/webphone"
)

// BenchmarkOfferToRing measures the time from the ACD's decision to offer
// a call to the agent's desk reading phone.ring (the offer's decision
// time is its expires_at less the offer timeout), through the contact
// bridge's ring step, the gateway's Ring and the desk socket; each call is
// then withdrawn (the caller hangs up) before the next. It reports the
// p50 and p99 in milliseconds.
//
//	go test -run=^$ -bench=BenchmarkOfferToRing -benchtime=200x ./agentdesk/
func BenchmarkOfferToRing(b *testing.B) {
	ep, err := webphone.New(webphone.Config{IPs: []string{"127.0.0.1"}})
	if err != nil {
		b.Fatal(err)
	}
	const offerTimeout = time.Minute
	s := deskttest.New(b, deskttest.Options{Softphone: ep, OfferTimeout: offerTimeout})
	tok, err := s.Login(context.Background(), "alice")
	if err != nil {
		b.Fatal(err)
	}
	desk, _, err := deskttest.Dial(context.Background(), s.URL, "/ws/desk", agentdesk.DeskProtocol, tok)
	if err != nil {
		b.Fatal(err)
	}
	defer desk.Close()
	if _, err := desk.Hello("", "", 0); err != nil {
		b.Fatal(err)
	}
	if _, err := desk.Do("state.ready", nil, wait); err != nil {
		b.Fatal(err)
	}
	ring := func(ctx context.Context, contactID, agentID string) error {
		_, err := s.Gateway.Ring(ctx, agentID, phone.CallInfo{ContactID: contactID, Caller: "13900001234", Queue: "voice"})
		return err
	}
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := range b.N {
		contact := fmt.Sprintf("bench-%d", i)
		h, err := s.Bridge.Enqueue(context.Background(), bridge.Holder{Channel: acd.Voice, Ring: ring},
			ivr.QueueRequest{ContactID: contact, Queue: "voice", ANI: "13900001234"})
		if err != nil {
			b.Fatal(err)
		}
		var offer struct {
			Contact   string    `json:"contact_id"`
			ExpiresAt time.Time `json:"expires_at"`
		}
		for offer.Contact != contact {
			if _, err := desk.Want("offer", &offer, wait); err != nil {
				b.Fatal(err)
			}
		}
		var r ringing
		for r.Contact != contact {
			if _, err := desk.Want("phone.ring", &r, wait); err != nil {
				b.Fatal(err)
			}
		}
		lat = append(lat, time.Since(offer.ExpiresAt.Add(-offerTimeout)))
		if err := h.Cancel(context.Background(), acd.LeaveHangup); err != nil {
			b.Fatal(err)
		}
		var ended struct {
			Contact string `json:"contact_id"`
		}
		for ended.Contact != contact {
			if _, err := desk.Want("phone.ended", &ended, wait); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.StopTimer()
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2])/1e6, "p50-ms")
	b.ReportMetric(float64(lat[min(len(lat)-1, len(lat)*99/100)])/1e6, "p99-ms")
}
