package agentdesk_test

import (
	"encoding/json"
	"testing"

	"github.com/hotline10000/hotline/agentdesk"
)

// FuzzDecodeFrame: the decoder never panics, and what it accepts has a
// type of bounded length, a bounded id and object (or no) data.
func FuzzDecodeFrame(f *testing.F) {
	for _, s := range []string{
		`{"type":"hello","id":"h1","data":{"resume":"abc","last_seq":7}}`,
		`{"type":"chat.send","id":"c1","data":{"contact_id":"x","msg_id":"m","text":"你好"}}`,
		`{"type":"ping"}`, `{"type":"ping","data":null}`, `{"type":"x","unknown":[1,2,3]}`,
		`{`, `[]`, `null`, `{"type":""}`, `{"type":"a","data":"s"}`, `{"type":"a"} {}`, "\xff\xfe",
		`{"type":"a","seq":-1}`, `{"type":"a","at":"yesterday"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		fr, err := agentdesk.DecodeFrame(b)
		if err != nil {
			return
		}
		if fr.Type == "" || len(fr.Type) > 40 || len(fr.ID) > 64 {
			t.Fatalf("accepted %q: type %q id %q", b, fr.Type, fr.ID)
		}
		if len(fr.Data) > 0 && string(fr.Data) != "null" {
			var m map[string]any
			if err := json.Unmarshal(fr.Data, &m); err != nil {
				t.Fatalf("accepted data %s that is not an object: %v", fr.Data, err)
			}
		}
	})
}

func TestDecodeFrame(t *testing.T) {
	cases := []struct {
		in   string
		ok   bool
		typ  string
		data string
	}{
		{`{"type":"ping","id":"1"}`, true, "ping", ""},
		{`{"type":"chat.send","data":{"text":"x"},"extra":true}`, true, "chat.send", `{"text":"x"}`},
		{`{"type":"a","data":[1]}`, false, "", ""},
		{`{"type":"a","data":"x"}`, false, "", ""},
		{`{"id":"1"}`, false, "", ""},
		{`{"type":"` + string(make([]byte, 41)) + `"}`, false, "", ""},
		{`{"type":"a"}{"type":"b"}`, false, "", ""},
		{`{"type":"a"}]`, false, "", ""},
		{"{\"type\":\"a\"} \n", true, "a", ""},
		{`not json`, false, "", ""},
	}
	for _, tc := range cases {
		f, err := agentdesk.DecodeFrame([]byte(tc.in))
		if (err == nil) != tc.ok {
			t.Errorf("%q: got err %v, want ok=%v", tc.in, err, tc.ok)
			continue
		}
		if tc.ok && (f.Type != tc.typ || string(f.Data) != tc.data) {
			t.Errorf("%q: got %s %s, want %s %s", tc.in, f.Type, f.Data, tc.typ, tc.data)
		}
	}
	big := make([]byte, agentdesk.MaxFrame+1)
	if _, err := agentdesk.DecodeFrame(big); err == nil {
		t.Error("an oversized frame was accepted")
	}
}
