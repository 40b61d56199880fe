package web

import (
	"io/fs"
	"net/http"
	"os"
	"strings"

	"github.com/maxence-charriere/go-app/v10/pkg/app"
)

// staticFiles is go-app's Resources: it keeps /web/ paths as they are (like
// app.LocalDir("")) and serves them from a directory that need not be the
// working directory. Unlike app.LocalDir it refuses paths with "..",
// directory listings and dotfiles, so it is safe even when nothing cleans
// the path in front of it.
type staticFiles struct {
	files http.Handler
}

func newStaticFiles(dir string) staticFiles {
	return staticFiles{
		files: http.StripPrefix("/web", http.FileServerFS(plainFiles{os.DirFS(dir)})),
	}
}

// Resolve maps a resource path to its URL: /web/ paths are served here, so
// they stay as they are.
func (s staticFiles) Resolve(location string) string {
	return app.LocalDir("").Resolve(location)
}

func (s staticFiles) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	for _, seg := range strings.Split(r.URL.Path, "/") {
		if strings.HasPrefix(seg, ".") { // "..", and dotfiles such as .git
			http.NotFound(w, r)
			return
		}
	}
	s.files.ServeHTTP(w, r)
}

// plainFiles hides directories, so a GET of /web/ or /web/sub/ is a 404
// instead of a listing.
type plainFiles struct{ fs.FS }

func (p plainFiles) Open(name string) (fs.File, error) {
	f, err := p.FS.Open(name)
	if err != nil {
		return nil, err
	}
	info, err := f.Stat()
	if err != nil || info.IsDir() {
		f.Close()
		return nil, fs.ErrNotExist
	}
	return f, nil
}
