package notify

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"

	"github.com/hotline10000/hotline/agentdesk/ticket"
)

// post sends body and classifies the answer: 2xx returns the response body;
// 408, 429 and 5xx are retryable; other statuses are permanent.
func post(ctx context.Context, c *http.Client, url string, body []byte, header http.Header) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ticket.ErrUndeliverable, err)
	}
	for k, vs := range header {
		req.Header[k] = vs
	}
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	if c == nil {
		c = http.DefaultClient
	}
	res, err := c.Do(req)
	if err != nil {
		return nil, fmt.Errorf("post: %w", err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(res.Body, 64<<10))
	switch {
	case res.StatusCode >= 200 && res.StatusCode < 300:
		return b, nil
	case res.StatusCode == http.StatusRequestTimeout, res.StatusCode == http.StatusTooManyRequests, res.StatusCode >= 500:
		return nil, fmt.Errorf("far end answered %s: %s", res.Status, snippet(b))
	default:
		return nil, fmt.Errorf("far end refused with %s: %s: %w", res.Status, snippet(b), ticket.ErrUndeliverable)
	}
}

func snippet(b []byte) string {
	if len(b) > 200 {
		b = b[:200]
	}
	return string(bytes.TrimSpace(b))
}
