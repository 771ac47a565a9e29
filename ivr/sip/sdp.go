package sip

import (
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/pion/sdp/v3"
)

// Static RTP payload types of G.711 (RFC 3551 6).
const (
	ptPCMU = 0
	ptPCMA = 8
)

// maxSDP bounds the SDP body an INVITE may carry; a real offer is well
// under 2 kB.
const maxSDP = 16 << 10

// Direction is an SDP media direction (RFC 4566 6, RFC 3264 6.1).
type Direction string

// Directions.
const (
	SendRecv Direction = "sendrecv"
	SendOnly Direction = "sendonly"
	RecvOnly Direction = "recvonly"
	Inactive Direction = "inactive"
)

// answerDirection is what we answer to the caller's direction (RFC 3264 6.1).
func (d Direction) answer() Direction {
	switch d {
	case SendOnly:
		return RecvOnly
	case RecvOnly:
		return SendOnly
	case Inactive:
		return Inactive
	}
	return SendRecv
}

// Offer is what the negotiation kept of a caller's SDP offer.
type Offer struct {
	// Remote is where the caller wants our RTP (its c= and m= port).
	Remote netip.AddrPort
	// PayloadType is the codec chosen: 0 (PCMU) or 8 (PCMA).
	PayloadType uint8
	// DTMFPayloadType is the caller's telephone-event payload type, 0 if
	// it offered none (then DTMF comes as INFO or in-band).
	DTMFPayloadType uint8
	// PTime is the packet time to send with (a=ptime, default 20 ms).
	PTime time.Duration
	// Direction is the caller's; Hold is true for sendonly, inactive or
	// the RFC 2543 hold address 0.0.0.0.
	Direction Direction
	Hold      bool
}

// ErrNotAcceptable is an offer we cannot answer: the call gets 488.
var ErrNotAcceptable = errors.New("sdp offer not acceptable")

// ParseOffer picks, from a caller's SDP offer, the first audio stream over
// RTP/AVP and in it the first codec we speak (PCMU or PCMA, in the
// caller's order of preference, RFC 3264 6.1), its telephone-event payload
// type (RFC 4733 7.1.1) and ptime. Anything else (no audio, only other
// codecs, SRTP, a malformed body) is ErrNotAcceptable, wrapped with why.
func ParseOffer(body []byte) (Offer, error) {
	if len(body) == 0 {
		return Offer{}, fmt.Errorf("%w: no SDP offer", ErrNotAcceptable)
	}
	if len(body) > maxSDP {
		return Offer{}, fmt.Errorf("%w: SDP of %d bytes", ErrNotAcceptable, len(body))
	}
	var s sdp.SessionDescription
	if err := s.UnmarshalString(string(body)); err != nil {
		return Offer{}, fmt.Errorf("%w: %v", ErrNotAcceptable, err)
	}
	why := "no audio stream"
	for _, m := range s.MediaDescriptions {
		if m.MediaName.Media != "audio" || m.MediaName.Port.Value == 0 {
			continue
		}
		if strings.Join(m.MediaName.Protos, "/") != "RTP/AVP" {
			why = "audio over " + strings.Join(m.MediaName.Protos, "/") + ", want RTP/AVP"
			continue
		}
		o, err := parseAudio(&s, m)
		if err != nil {
			why = err.Error()
			continue
		}
		return o, nil
	}
	return Offer{}, fmt.Errorf("%w: %s", ErrNotAcceptable, why)
}

func parseAudio(s *sdp.SessionDescription, m *sdp.MediaDescription) (Offer, error) {
	conn := m.ConnectionInformation
	if conn == nil {
		conn = s.ConnectionInformation
	}
	if conn == nil || conn.Address == nil {
		return Offer{}, errors.New("no connection address")
	}
	host := conn.Address.Address
	if i := strings.IndexByte(host, '/'); i >= 0 { // multicast TTL
		host = host[:i]
	}
	addr, err := netip.ParseAddr(host)
	if err != nil {
		return Offer{}, fmt.Errorf("connection address %q is not an IP address", host)
	}
	port := m.MediaName.Port.Value
	if port <= 0 || port > 65535 {
		return Offer{}, fmt.Errorf("port %d", port)
	}
	o := Offer{Remote: netip.AddrPortFrom(addr.Unmap(), uint16(port)), PTime: 20 * time.Millisecond, Direction: SendRecv}
	if addr.IsUnspecified() {
		o.Hold = true // RFC 2543 hold: c=0.0.0.0
	}
	// Payload type → encoding name, from a=rtpmap (static types need none).
	names := map[int]string{}
	for _, a := range m.Attributes {
		switch a.Key {
		case "rtpmap":
			pt, enc, ok := strings.Cut(a.Value, " ")
			n, err := strconv.Atoi(pt)
			if ok && err == nil {
				names[n] = strings.ToLower(strings.TrimSpace(enc))
			}
		case "ptime":
			if ms, err := strconv.Atoi(strings.TrimSpace(a.Value)); err == nil && ms >= 10 && ms <= 60 && ms%10 == 0 {
				o.PTime = time.Duration(ms) * time.Millisecond
			}
		case "sendrecv", "sendonly", "recvonly", "inactive":
			o.Direction = Direction(a.Key)
		}
	}
	if o.Direction == SendOnly || o.Direction == Inactive {
		o.Hold = true
	}
	codec, dtmf := -1, -1
	for _, f := range m.MediaName.Formats {
		n, err := strconv.Atoi(f)
		if err != nil || n < 0 || n > 127 {
			continue
		}
		name, mapped := names[n]
		switch {
		case codec < 0 && (n == ptPCMU && (!mapped || name == "pcmu/8000" || name == "pcmu/8000/1")):
			codec = ptPCMU
		case codec < 0 && (n == ptPCMA && (!mapped || name == "pcma/8000" || name == "pcma/8000/1")):
			codec = ptPCMA
		case dtmf < 0 && n >= 96 && name == "telephone-event/8000":
			dtmf = n
		}
	}
	if codec < 0 {
		return Offer{}, fmt.Errorf("no PCMU or PCMA among payload types %v", m.MediaName.Formats)
	}
	o.PayloadType = uint8(codec)
	if dtmf > 0 {
		o.DTMFPayloadType = uint8(dtmf)
	}
	return o, nil
}

// Answer builds our SDP answer (RFC 3264 6.1) to an accepted offer: one
// audio stream at local with the chosen codec, telephone-event when the
// caller offered it, the caller's ptime, and the answering direction.
// version increments with each new answer of the session (RFC 4566 5.2).
func Answer(o Offer, local netip.AddrPort, sessionID, version uint64) []byte {
	ipv := "IP4"
	if local.Addr().Is6() {
		ipv = "IP6"
	}
	ip := local.Addr().String()
	formats := []string{strconv.Itoa(int(o.PayloadType))}
	enc := "PCMU/8000"
	if o.PayloadType == ptPCMA {
		enc = "PCMA/8000"
	}
	attrs := []sdp.Attribute{sdp.NewAttribute("rtpmap", fmt.Sprintf("%d %s", o.PayloadType, enc))}
	if o.DTMFPayloadType != 0 {
		formats = append(formats, strconv.Itoa(int(o.DTMFPayloadType)))
		attrs = append(attrs,
			sdp.NewAttribute("rtpmap", fmt.Sprintf("%d telephone-event/8000", o.DTMFPayloadType)),
			sdp.NewAttribute("fmtp", fmt.Sprintf("%d 0-16", o.DTMFPayloadType)))
	}
	attrs = append(attrs, sdp.NewAttribute("ptime", strconv.Itoa(int(o.PTime/time.Millisecond))),
		sdp.NewPropertyAttribute(string(o.Direction.answer())))
	s := sdp.SessionDescription{
		Origin: sdp.Origin{Username: "hotline", SessionID: sessionID, SessionVersion: version,
			NetworkType: "IN", AddressType: ipv, UnicastAddress: ip},
		SessionName:           "hotline",
		ConnectionInformation: &sdp.ConnectionInformation{NetworkType: "IN", AddressType: ipv, Address: &sdp.Address{Address: ip}},
		TimeDescriptions:      []sdp.TimeDescription{{Timing: sdp.Timing{}}},
		MediaDescriptions: []*sdp.MediaDescription{{
			MediaName: sdp.MediaName{Media: "audio", Port: sdp.RangedPort{Value: int(local.Port())},
				Protos: []string{"RTP", "AVP"}, Formats: formats},
			Attributes: attrs,
		}},
	}
	b, err := s.Marshal()
	if err != nil {
		// Marshal fails only on descriptions we do not build.
		panic(fmt.Sprintf("sdp answer: %v", err))
	}
	return b
}

// lateDTMF is the telephone-event payload type of our late offer.
const lateDTMF = 101

// LateOffer is our SDP offer in the 200 to an INVITE without SDP (RFC 3261
// 13.2.1, RFC 3264 5): PCMU and PCMA, telephone-event, 20 ms, sendrecv.
func LateOffer(local netip.AddrPort, sessionID, version uint64) []byte {
	ipv := "IP4"
	if local.Addr().Is6() {
		ipv = "IP6"
	}
	ip := local.Addr().String()
	dtmf := strconv.Itoa(lateDTMF)
	s := sdp.SessionDescription{
		Origin: sdp.Origin{Username: "hotline", SessionID: sessionID, SessionVersion: version,
			NetworkType: "IN", AddressType: ipv, UnicastAddress: ip},
		SessionName:           "hotline",
		ConnectionInformation: &sdp.ConnectionInformation{NetworkType: "IN", AddressType: ipv, Address: &sdp.Address{Address: ip}},
		TimeDescriptions:      []sdp.TimeDescription{{Timing: sdp.Timing{}}},
		MediaDescriptions: []*sdp.MediaDescription{{
			MediaName: sdp.MediaName{Media: "audio", Port: sdp.RangedPort{Value: int(local.Port())},
				Protos: []string{"RTP", "AVP"}, Formats: []string{"0", "8", dtmf}},
			Attributes: []sdp.Attribute{
				sdp.NewAttribute("rtpmap", "0 PCMU/8000"),
				sdp.NewAttribute("rtpmap", "8 PCMA/8000"),
				sdp.NewAttribute("rtpmap", dtmf+" telephone-event/8000"),
				sdp.NewAttribute("fmtp", dtmf+" 0-16"),
				sdp.NewAttribute("ptime", "20"),
				sdp.NewPropertyAttribute(string(SendRecv)),
			},
		}},
	}
	b, err := s.Marshal()
	if err != nil {
		panic(fmt.Sprintf("sdp offer: %v", err))
	}
	return b
}

// parseAnswer reads the caller's answer (in its ACK) to our late offer: the
// codec it chose of ours, and telephone-event if it kept it. The events it
// sends us carry our offer's payload type (RFC 3264 6.1: the answerer
// sends with the offerer's numbering).
func parseAnswer(body []byte) (Offer, error) {
	if len(body) == 0 {
		return Offer{}, fmt.Errorf("%w: no SDP answer in the ACK", ErrNotAcceptable)
	}
	a, err := ParseOffer(body)
	if err != nil {
		return Offer{}, err
	}
	if a.DTMFPayloadType != 0 {
		a.DTMFPayloadType = lateDTMF
	}
	return a, nil
}
