package webphone

import (
	"errors"
	"testing"

	"github.com/hotline10000/hotline/ivr/media"
)

const sdpHead = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"

func TestChooseCodec(t *testing.T) {
	for _, tc := range []struct {
		name, sdp string
		want      media.Codec
		err       error
	}{
		{"browser order: opus, PCMA, PCMU", sdpHead + "m=audio 9 UDP/TLS/RTP/SAVPF 111 8 0\r\na=rtpmap:111 opus/48000/2\r\na=rtpmap:8 PCMA/8000\r\na=rtpmap:0 PCMU/8000\r\n", media.PCMA, nil},
		{"PCMU first", sdpHead + "m=audio 9 UDP/TLS/RTP/SAVPF 0 8\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\n", media.PCMU, nil},
		{"static payload types without rtpmap", sdpHead + "m=audio 9 RTP/AVP 8 0\r\n", media.PCMA, nil},
		{"lower-case encoding name", sdpHead + "m=audio 9 RTP/AVP 96\r\na=rtpmap:96 pcmu/8000\r\n", media.PCMU, nil},
		{"dynamic type remapped away from G.711", sdpHead + "m=audio 9 RTP/AVP 0\r\na=rtpmap:0 opus/48000/2\r\n", 0, ErrNoCodec},
		{"opus only", sdpHead + "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=rtpmap:111 opus/48000/2\r\n", 0, ErrNoCodec},
		{"video only", sdpHead + "m=video 9 UDP/TLS/RTP/SAVPF 96\r\na=rtpmap:96 VP8/90000\r\n", 0, ErrNoCodec},
		{"rejected audio, then a live one", sdpHead + "m=audio 0 RTP/AVP 0\r\nm=audio 9 RTP/AVP 8\r\n", media.PCMA, nil},
		{"not SDP", "hello", 0, ErrBadOffer},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := chooseCodec(tc.sdp)
			if !errors.Is(err, tc.err) || (err == nil && got != tc.want) {
				t.Errorf("got %v, %v; want %v, %v", got, err, tc.want, tc.err)
			}
		})
	}
}

// FuzzChooseCodec: whatever a browser (or anyone with a desk socket) sends
// as an offer, the codec choice returns a G.711 codec or an error, never
// panics.
func FuzzChooseCodec(f *testing.F) {
	f.Add(sdpHead + "m=audio 9 UDP/TLS/RTP/SAVPF 111 8 0\r\na=rtpmap:111 opus/48000/2\r\na=rtpmap:8 PCMA/8000\r\n")
	f.Add(sdpHead + "m=audio 9 RTP/AVP 0\r\n")
	f.Add(sdpHead + "m=audio 0 RTP/AVP\r\na=rtpmap: \r\n")
	f.Add("v=0\r\n")
	f.Fuzz(func(t *testing.T, s string) {
		c, err := chooseCodec(s)
		if err == nil && c != media.PCMU && c != media.PCMA {
			t.Fatalf("chose %v", c)
		}
	})
}

func TestDTMFFrames(t *testing.T) {
	fs, err := dtmfFrames("1#", media.PCMU)
	if err != nil {
		t.Fatal(err)
	}
	if len(fs) != 2*(5+3) {
		t.Errorf("%d frames, want %d", len(fs), 2*(5+3))
	}
	for _, bad := range []string{"", "12e", "0123456789012345678901234567890123"} {
		if _, err := dtmfFrames(bad, media.PCMU); !errors.Is(err, ErrBadDigit) {
			t.Errorf("dtmfFrames(%q) = %v, want ErrBadDigit", bad, err)
		}
	}
}
