package httpapi

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestDecode(t *testing.T) {
	type req struct {
		Name  string `json:"name"`
		Count int    `json:"count"`
	}
	cases := []struct {
		name, ct, body string
		ok             bool
		status         int
		field          string
	}{
		{"good", "application/json", `{"name":"a","count":2}`, true, 0, ""},
		{"unknown fields ignored", "application/json; charset=utf-8", `{"name":"a","extra":{"x":1}}`, true, 0, ""},
		{"no content type", "", `{"name":"a"}`, true, 0, ""},
		{"form post refused", "application/x-www-form-urlencoded", `name=a`, false, 400, ""},
		{"wrong type", "application/json", `{"count":"two"}`, false, 400, "count"},
		{"truncated", "application/json", `{"name":`, false, 400, ""},
		{"empty", "application/json", ``, false, 400, ""},
		{"two values", "application/json", `{"name":"a"}{"name":"b"}`, false, 400, ""},
		{"too large", "application/json", `{"name":"` + strings.Repeat("x", 2000) + `"}`, false, 413, ""},
		{"not an object", "application/json", `[1,2]`, false, 400, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest("POST", "/", strings.NewReader(tc.body))
			if tc.ct != "" {
				r.Header.Set("Content-Type", tc.ct)
			}
			w := httptest.NewRecorder()
			var v req
			err := Decode(w, r, 1024, &v)
			if tc.ok {
				if err != nil {
					t.Fatalf("got %v, want success", err)
				}
				return
			}
			if err == nil {
				t.Fatal("got success, want an error")
			}
			WriteDecodeError(w, err)
			if w.Code != tc.status {
				t.Fatalf("status: got %d, want %d", w.Code, tc.status)
			}
			var body ErrorBody
			if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil || body.Error.Code == "" {
				t.Fatalf("body %q is not an error body", w.Body.String())
			}
			if body.Error.Field != tc.field {
				t.Fatalf("field: got %q, want %q", body.Error.Field, tc.field)
			}
		})
	}
}

func FuzzDecode(f *testing.F) {
	f.Add(`{"a":1}`)
	f.Add(`{"a":[1,{"b":null}]}`)
	f.Fuzz(func(t *testing.T, body string) {
		r := httptest.NewRequest("POST", "/", strings.NewReader(body))
		w := httptest.NewRecorder()
		var v map[string]any
		if err := Decode(w, r, 4096, &v); err != nil {
			WriteDecodeError(w, err)
			if w.Code < 400 || w.Code >= 500 {
				t.Fatalf("decode error answered %d", w.Code)
			}
		}
	})
}

func TestFrameAncestors(t *testing.T) {
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Security-Policy", "default-src 'self'") // a page setting its own
		w.Write([]byte("<html>"))
	})
	for _, tt := range []struct {
		sources []string
		want    string
	}{
		{[]string{"'self'"}, "frame-ancestors 'self'"},
		{[]string{"'self'", "https://shop.example.com"}, "frame-ancestors 'self' https://shop.example.com"},
		{nil, "frame-ancestors 'none'"},
	} {
		rec := httptest.NewRecorder()
		FrameAncestors(tt.sources, ok).ServeHTTP(rec, httptest.NewRequest("GET", "/desk/", nil))
		got := rec.Header().Values("Content-Security-Policy")
		if len(got) != 2 || got[1] != tt.want || got[0] != "default-src 'self'" {
			t.Errorf("%v: got %q, want %q and the page's own policy", tt.sources, got, tt.want)
		}
	}
}
