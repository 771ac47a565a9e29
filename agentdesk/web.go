package agentdesk

import (
	"embed"
	"io/fs"
)

//go:embed web
var webRoot embed.FS

// webFS serves web/ at the site root: /desk/, /chat/, /board/, /admin/, /common/.
var webFS, _ = fs.Sub(webRoot, "web")
