package webphone

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/pion/sdp/v3"

	"github.com/hotline10000/hotline/ivr/media"
)

// chooseCodec reads the offer's first audio section and returns the G.711
// codec the browser prefers (the first of PCMU and PCMA in its format list,
// RFC 8866 5.14), recognised by its rtpmap or, without one, by its static
// payload type (RFC 3551 6).
func chooseCodec(offer string) (media.Codec, error) {
	var d sdp.SessionDescription
	if err := d.UnmarshalString(offer); err != nil {
		return 0, fmt.Errorf("%w: %v", ErrBadOffer, err)
	}
	for _, m := range d.MediaDescriptions {
		if m.MediaName.Media != "audio" {
			continue
		}
		if m.MediaName.Port.Value == 0 {
			continue // a rejected or stopped section (RFC 8843 7.3)
		}
		maps := map[string]string{}
		for _, a := range m.Attributes {
			if a.Key != "rtpmap" {
				continue
			}
			pt, enc, ok := strings.Cut(a.Value, " ")
			if ok {
				maps[pt] = strings.ToUpper(enc)
			}
		}
		for _, f := range m.MediaName.Formats {
			enc, mapped := maps[f]
			switch {
			case mapped && strings.HasPrefix(enc, "PCMU/8000"):
				return media.PCMU, nil
			case mapped && strings.HasPrefix(enc, "PCMA/8000"):
				return media.PCMA, nil
			case !mapped:
				if pt, err := strconv.Atoi(f); err == nil && pt == int(media.PCMU) {
					return media.PCMU, nil
				} else if err == nil && pt == int(media.PCMA) {
					return media.PCMA, nil
				}
			}
		}
		return 0, ErrNoCodec
	}
	return 0, ErrNoCodec
}
