package agentdesk

import "testing"

func TestMasks(t *testing.T) {
	for _, tc := range []struct{ in, phone, id string }{
		{"13900000001", "139****0001", "1390***0001"},
		{"075512345678", "075*****5678", "0755****5678"},
		{"12345", "*****", "*****"},
		{"", "", ""},
		{"11010519491231002X", "110***********002X", "1101**********002X"},
	} {
		if got := MaskPhone(tc.in); got != tc.phone {
			t.Errorf("MaskPhone(%q): got %q, want %q", tc.in, got, tc.phone)
		}
		if got := MaskID(tc.in); got != tc.id {
			t.Errorf("MaskID(%q): got %q, want %q", tc.in, got, tc.id)
		}
	}
	c := &chat{vars: map[string]string{"id_no": "11010519491231002X", "phone": "13900000001", "ani": "web:ab12", "topic": "话费"}}
	got := c.agentVars(false)
	if got["id_no"] != "1101**********002X" || got["phone"] != "139****0001" || got["ani"] != "web:ab12" || got["topic"] != "话费" {
		t.Errorf("agent vars of an unverified chat: %v", got)
	}
	if sup := c.agentVars(true); sup["id_no"] != "11010519491231002X" || sup["phone"] != "13900000001" {
		t.Errorf("supervisor vars: %v", sup)
	}
	c.verified = "otp"
	if got := c.agentVars(false); got["phone"] != "13900000001" || got["id_no"] != "1101**********002X" {
		t.Errorf("agent vars of a verified chat: %v (ID numbers stay masked)", got)
	}
}

// An ID number typed as plain chat text in a past contact, or written in a
// ticket's subject, is masked on an agent's panel.
func TestPanelHistoryMasked(t *testing.T) {
	p := customerPanel{
		Contacts: []pastContact{{ID: "c1", Transcript: []transcriptLine{{From: "customer", Text: "身份证110105194912310021，宽带断了"}}}},
		Tickets:  []pastTicket{{Number: "20261129000001", Subject: "核实身份 11010519491231002X"}},
	}
	maskHistory(&p)
	if got := p.Contacts[0].Transcript[0].Text; got != "身份证1101**********0021，宽带断了" {
		t.Errorf("past transcript: got %q", got)
	}
	if got := p.Tickets[0].Subject; got != "核实身份 1101**********002X" || p.Tickets[0].Number != "20261129000001" {
		t.Errorf("past ticket: got %q %q", got, p.Tickets[0].Number)
	}
}
