package knowledge

import "github.com/hotline10000/hotline/internal/event"

// Event types the knowledge base publishes.
const (
	EventArticleSaved    event.Type = "knowledge.article_saved"    // created or edited
	EventArticleStatus   event.Type = "knowledge.article_status"   // moved to another status
	EventArticleRestored event.Type = "knowledge.article_restored" // an old version made current
)

// ArticleEvent is the payload of every knowledge event: enough for a
// subscriber to fetch the article, never its body.
type ArticleEvent struct {
	ID       string   `json:"id"`
	Version  int64    `json:"version"`
	Title    string   `json:"title"`
	Lang     string   `json:"lang"`
	Status   Status   `json:"status"`
	Previous Status   `json:"previous,omitempty"` // article_status: the status before
	Audience Audience `json:"audience"`
	Editor   string   `json:"editor,omitempty"`
}
