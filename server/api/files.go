package api

import (
	"bytes"
	"errors"
	"io"
	"mime"
	"net/http"
	"os"
	"strconv"

	"hark/app/protocol"
	"hark/server/chat"
	"hark/server/media"
)

// Files: POST /api/files?name=&to= (or &room=, for a room's members)
// uploads (the body is the file, as it is), GET /api/files/{id} and GET /api/files/{id}/thumb read. An upload
// is not bound by MaxBodyBytes but by Config.MaxFileBytes, and its body by
// Config.FileTimeout rather than BodyTimeout. A file that is not an image
// the server reads goes to the store as it arrives, in chunks; an image is
// read whole (at most MaxFileBytes), since it is decoded anyway for its
// size and thumbnail.

// fileCache is how long a browser may keep a file it read: a file's
// bytes never change under its id, but the file goes when its message
// is deleted, so not forever.
const fileCache = "private, max-age=86400"

// handleUpload answers POST /api/files with the stored file's
// protocol.File.
func (s *Server) handleUpload(w http.ResponseWriter, r *http.Request) {
	f, err := s.upload(w, r)
	s.metrics.uploads.WithLabelValues(outcome(err)).Inc()
	if err != nil {
		writeError(w, err)
		return
	}
	s.metrics.fileBytes.Add(float64(f.Size))
	writeJSON(w, http.StatusOK, f)
}

func (s *Server) upload(w http.ResponseWriter, r *http.Request) (protocol.File, error) {
	sess, err := s.authenticate(r, false)
	if err != nil {
		return protocol.File{}, err
	}
	if r.ContentLength > s.cfg.MaxFileBytes {
		// Refused on what the client declares, before a byte is read.
		return protocol.File{}, s.fileTooLarge()
	}
	// A bounded number at once on this node: an image is held whole
	// while it is decoded.
	select {
	case s.uploads <- struct{}{}:
		defer func() { <-s.uploads }()
	default:
		return protocol.File{}, &protocol.Error{Code: protocol.CodeRateLimited, Message: "the server is busy with other uploads; try again in a moment", RetryAfter: 1}
	}
	q := r.URL.Query()
	var up *chat.Upload
	switch room := q.Get("room"); {
	case room != "" && q.Get("to") != "":
		return protocol.File{}, protocol.Errorf(protocol.CodeBadRequest, "a file goes to a person (to) or to a room (room), not both")
	case room != "":
		up, err = s.chat.BeginRoomUpload(r.Context(), sess, room)
	default:
		up, err = s.chat.BeginUpload(sess, q.Get("to"))
	}
	if err != nil {
		return protocol.File{}, err
	}
	if tb, ok := r.Body.(*timedBody); ok {
		tb.timeout = s.cfg.FileTimeout // set before its first read
	}
	body := http.MaxBytesReader(w, r.Body, s.cfg.MaxFileBytes)
	head := make([]byte, media.SniffLen)
	n, err := io.ReadFull(body, head)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
		return protocol.File{}, s.readFailure(err)
	}
	head = head[:n]
	f := protocol.File{Name: q.Get("name"), Type: media.Sniff(head)}
	if err := media.CheckClaim(r.Header.Get("Content-Type"), f.Type); err != nil {
		return protocol.File{}, err
	}
	rest := io.MultiReader(bytes.NewReader(head), body)
	var thumb []byte
	if media.Decodable(f.Type) {
		// Read into one buffer of the declared length (bounded above),
		// not one that doubles as it goes.
		var buf bytes.Buffer
		buf.Grow(int(max(r.ContentLength, 0)) + bytes.MinRead)
		if _, err := buf.ReadFrom(rest); err != nil {
			return protocol.File{}, s.readFailure(err)
		}
		data := buf.Bytes()
		if img, ok := media.Inspect(data); ok {
			f.Width, f.Height, thumb = img.Width, img.Height, img.Thumb
		}
		rest = bytes.NewReader(data)
	}
	f, err = up.Store(r.Context(), f, rest, thumb)
	if err != nil {
		return protocol.File{}, s.readFailure(err)
	}
	return f, nil
}

// readFailure is the refusal for an upload whose body could not be read:
// too large, too slow, cut. Refusals the chat made pass as they are.
func (s *Server) readFailure(err error) error {
	var perr *protocol.Error
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &perr):
		return err
	case errors.As(err, &tooBig):
		return s.fileTooLarge()
	case errors.Is(err, os.ErrDeadlineExceeded):
		return protocol.Errorf(protocol.CodeBadRequest, "the file came too slowly; it must arrive within %v", s.cfg.FileTimeout)
	}
	return protocol.Errorf(protocol.CodeBadRequest, "reading the file: %v", err)
}

func (s *Server) fileTooLarge() error {
	return protocol.Errorf(protocol.CodeTooLarge, "a file is at most %d bytes", s.cfg.MaxFileBytes)
}

// handleFile answers GET /api/files/{id} with the file's bytes.
func (s *Server) handleFile(w http.ResponseWriter, r *http.Request) { s.serveFile(w, r, false) }

// handleThumb answers GET /api/files/{id}/thumb with the image's
// thumbnail.
func (s *Server) handleThumb(w http.ResponseWriter, r *http.Request) { s.serveFile(w, r, true) }

// serveFile serves a file so that it never runs in the app's origin: an
// image the server read (PNG, JPEG, GIF) and a thumbnail inline with
// their type, everything else (HTML, SVG, scripts, anything) as an
// attachment of no type; a sandboxing CSP besides, and no sniffing.
// The token may come in the query, for a link opened in a tab.
func (s *Server) serveFile(w http.ResponseWriter, r *http.Request, thumb bool) {
	sess, err := s.authenticate(r, true)
	if err != nil {
		writeError(w, err)
		return
	}
	id := r.PathValue("id")
	f, rc, err := s.chat.OpenFile(r.Context(), sess, id, thumb)
	if err != nil {
		writeError(w, err)
		return
	}
	defer rc.Close()
	h := w.Header()
	h.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cross-Origin-Resource-Policy", "same-origin")
	h.Set("Cache-Control", fileCache)
	etag := `"` + id + `"`
	if thumb {
		etag = `"` + id + `-thumb"`
	}
	h.Set("ETag", etag)
	typ, disposition := "application/octet-stream", "attachment"
	switch {
	case thumb:
		typ, disposition = media.ThumbType(f.Type), "inline"
	case f.Image():
		typ, disposition = f.Type, "inline"
	}
	h.Set("Content-Type", typ)
	if cd := mime.FormatMediaType(disposition, map[string]string{"filename": f.Name}); cd != "" {
		h.Set("Content-Disposition", cd)
	} else {
		h.Set("Content-Disposition", disposition)
	}
	if r.Header.Get("If-None-Match") == etag {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	if !thumb {
		h.Set("Content-Length", strconv.FormatInt(f.Size, 10))
	}
	if _, err := io.Copy(w, rc); err != nil {
		s.log.Debug("serving a file", "err", err)
	}
}
