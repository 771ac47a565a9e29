package ticket

import (
	"encoding/json"
	"math"
	"time"
)

// slaJSON is the wire form of SLA: durations in seconds of business time.
type slaJSON struct {
	plainSLA
	FirstResponse float64 `json:"first_response_target"`
	Resolution    float64 `json:"resolution_target"`
	Used          float64 `json:"used"`
}

type plainSLA SLA

func seconds(d time.Duration) float64  { return d.Seconds() }
func duration(s float64) time.Duration { return time.Duration(math.Round(s * float64(time.Second))) }

// MarshalJSON writes the targets and the time used in seconds.
func (s SLA) MarshalJSON() ([]byte, error) {
	return json.Marshal(slaJSON{plainSLA: plainSLA(s), FirstResponse: seconds(s.FirstResponse),
		Resolution: seconds(s.Resolution), Used: seconds(s.Used)})
}

// UnmarshalJSON reads what MarshalJSON writes.
func (s *SLA) UnmarshalJSON(b []byte) error {
	var j slaJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	*s = SLA(j.plainSLA)
	s.FirstResponse, s.Resolution, s.Used = duration(j.FirstResponse), duration(j.Resolution), duration(j.Used)
	return nil
}
