package agentdesk_test

import (
	"context"
	"testing"

	"github.com/hotline10000/hotline/agentdesk/deskttest"
)

// The board carries the KPI tiles the server gives it, pushed without
// any ACD event (the tiles change with time alone).
func TestBoardCarriesKPITiles(t *testing.T) {
	type tile struct {
		ID     string `json:"id"`
		Status string `json:"status"`
	}
	s := deskttest.New(t, deskttest.Options{KPIs: func(context.Context) (any, error) {
		return []tile{{ID: "SL01", Status: "ok"}, {ID: "SL02", Status: "breach"}}, nil
	}})
	board := dialDesk(t, s, "sam", "board")
	var b struct {
		KPIs []tile `json:"kpis"`
	}
	if _, err := board.Want("board", &b, wait); err != nil {
		t.Fatal(err)
	}
	if len(b.KPIs) != 2 || b.KPIs[1].ID != "SL02" || b.KPIs[1].Status != "breach" {
		t.Fatalf("board kpis %+v, want the two tiles", b.KPIs)
	}
}
