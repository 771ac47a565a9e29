package sip

import (
	"errors"
	"net/netip"
	"strings"
	"testing"
	"time"
)

const offerPCMA = "v=0\r\no=- 1 1 IN IP4 192.0.2.10\r\ns=-\r\nc=IN IP4 192.0.2.10\r\nt=0 0\r\n" +
	"m=audio 40000 RTP/AVP 18 8 0 101\r\na=rtpmap:18 G729/8000\r\na=rtpmap:8 PCMA/8000\r\na=rtpmap:0 PCMU/8000\r\n" +
	"a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-16\r\na=ptime:30\r\na=sendrecv\r\n"

func TestParseOffer(t *testing.T) {
	tests := []struct {
		name string
		body string
		want Offer
		bad  string // substring of the error; empty: accepted
	}{
		{name: "caller's order, dtmf, ptime", body: offerPCMA, want: Offer{Remote: netip.MustParseAddrPort("192.0.2.10:40000"),
			PayloadType: 8, DTMFPayloadType: 101, PTime: 30 * time.Millisecond, Direction: SendRecv}},
		{name: "static PCMU without rtpmap, media-level c=", body: "v=0\r\no=- 1 1 IN IP4 h\r\ns=-\r\nt=0 0\r\nm=audio 5004 RTP/AVP 0\r\nc=IN IP4 10.0.0.1\r\n",
			want: Offer{Remote: netip.MustParseAddrPort("10.0.0.1:5004"), PayloadType: 0, PTime: 20 * time.Millisecond, Direction: SendRecv}},
		{name: "hold by sendonly", body: strings.Replace(offerPCMA, "a=sendrecv", "a=sendonly", 1), want: Offer{Remote: netip.MustParseAddrPort("192.0.2.10:40000"),
			PayloadType: 8, DTMFPayloadType: 101, PTime: 30 * time.Millisecond, Direction: SendOnly, Hold: true}},
		{name: "hold by 0.0.0.0", body: strings.ReplaceAll(offerPCMA, "IN IP4 192.0.2.10", "IN IP4 0.0.0.0"), want: Offer{Remote: netip.MustParseAddrPort("0.0.0.0:40000"),
			PayloadType: 8, DTMFPayloadType: 101, PTime: 30 * time.Millisecond, Direction: SendRecv, Hold: true}},
		{name: "ipv6", body: "v=0\r\no=- 1 1 IN IP6 ::1\r\ns=-\r\nc=IN IP6 2001:db8::1\r\nt=0 0\r\nm=audio 6000 RTP/AVP 0\r\n",
			want: Offer{Remote: netip.MustParseAddrPort("[2001:db8::1]:6000"), PTime: 20 * time.Millisecond, Direction: SendRecv}},
		{name: "absurd ptime is ignored", body: strings.Replace(offerPCMA, "a=ptime:30", "a=ptime:7", 1), want: Offer{Remote: netip.MustParseAddrPort("192.0.2.10:40000"),
			PayloadType: 8, DTMFPayloadType: 101, PTime: 20 * time.Millisecond, Direction: SendRecv}},
		{name: "only G729", body: "v=0\r\no=- 1 1 IN IP4 h\r\ns=-\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\nm=audio 5004 RTP/AVP 18\r\na=rtpmap:18 G729/8000\r\n", bad: "no PCMU or PCMA"},
		{name: "PT 0 remapped to another codec", body: "v=0\r\no=- 1 1 IN IP4 h\r\ns=-\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\nm=audio 5004 RTP/AVP 0\r\na=rtpmap:0 opus/48000/2\r\n", bad: "no PCMU"},
		{name: "SRTP", body: "v=0\r\no=- 1 1 IN IP4 h\r\ns=-\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\nm=audio 5004 RTP/SAVP 0\r\n", bad: "RTP/SAVP"},
		{name: "video only", body: "v=0\r\no=- 1 1 IN IP4 h\r\ns=-\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\nm=video 5004 RTP/AVP 96\r\n", bad: "no audio"},
		{name: "no connection", body: "v=0\r\no=- 1 1 IN IP4 h\r\ns=-\r\nt=0 0\r\nm=audio 5004 RTP/AVP 0\r\n", bad: "no connection"},
		{name: "host name", body: "v=0\r\no=- 1 1 IN IP4 h\r\ns=-\r\nc=IN IP4 pbx.example\r\nt=0 0\r\nm=audio 5004 RTP/AVP 0\r\n", bad: "not an IP"},
		{name: "empty", body: "", bad: "no SDP"},
		{name: "garbage", body: "hello", bad: "not acceptable"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseOffer([]byte(tt.body))
			if tt.bad != "" {
				if !errors.Is(err, ErrNotAcceptable) || !strings.Contains(err.Error(), tt.bad) {
					t.Fatalf("got %+v, %v; want ErrNotAcceptable naming %q", got, err, tt.bad)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("got %+v, %v; want %+v", got, err, tt.want)
			}
		})
	}
}

func TestAnswerRoundTrip(t *testing.T) {
	o, err := ParseOffer([]byte(offerPCMA))
	if err != nil {
		t.Fatal(err)
	}
	ans := Answer(o, netip.MustParseAddrPort("127.0.0.1:30000"), 7, 2)
	back, err := ParseOffer(ans)
	if err != nil {
		t.Fatalf("our answer does not parse: %v\n%s", err, ans)
	}
	want := Offer{Remote: netip.MustParseAddrPort("127.0.0.1:30000"), PayloadType: 8, DTMFPayloadType: 101, PTime: 30 * time.Millisecond, Direction: SendRecv}
	if back != want {
		t.Fatalf("got %+v, want %+v\n%s", back, want, ans)
	}
	o.Direction = SendOnly
	if a := string(Answer(o, netip.MustParseAddrPort("127.0.0.1:30000"), 7, 3)); !strings.Contains(a, "a=recvonly") || !strings.Contains(a, "o=hotline 7 3 IN IP4") {
		t.Fatalf("hold answer:\n%s", a)
	}
}

// FuzzParseOffer: any body either fails with ErrNotAcceptable or gives an
// offer whose answer parses back to the same codec.
func FuzzParseOffer(f *testing.F) {
	f.Add([]byte(offerPCMA))
	f.Add([]byte("v=0\r\no=- 1 1 IN IP4 h\r\ns=-\r\nt=0 0\r\nm=audio 5004 RTP/AVP 0\r\nc=IN IP4 10.0.0.1\r\n"))
	f.Add([]byte("v=0\r\no=- 1 1 IN IP6 h\r\ns=-\r\nc=IN IP6 ::\r\nt=0 0\r\nm=audio 1 RTP/AVP 8 0 101 101\r\na=rtpmap:101 telephone-event/8000\r\na=inactive\r\n"))
	f.Add([]byte("v=0\r\nm=audio 99999999999 RTP/AVP 0\r\n"))
	f.Fuzz(func(t *testing.T, body []byte) {
		o, err := ParseOffer(body)
		if err != nil {
			if !errors.Is(err, ErrNotAcceptable) {
				t.Fatalf("error %v is not ErrNotAcceptable", err)
			}
			return
		}
		if o.PayloadType != ptPCMU && o.PayloadType != ptPCMA {
			t.Fatalf("codec %d", o.PayloadType)
		}
		back, err := ParseOffer(Answer(o, netip.MustParseAddrPort("127.0.0.1:4000"), 1, 1))
		if err != nil || back.PayloadType != o.PayloadType || back.DTMFPayloadType != o.DTMFPayloadType {
			t.Fatalf("answer to %+v parses as %+v, %v", o, back, err)
		}
	})
}
