package ui

import (
	"bytes"
	"context"
	"strconv"
	"time"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"hark/app/client"
	"hark/app/protocol"
)

// Files: the composer uploads a picked, pasted or dropped file and sends
// it with the next message; a message's file shows as an image (its place
// reserved from its dimensions before a byte arrives) or as a button that
// downloads it. Bytes are fetched with the session's token in a header
// and shown from blob: URLs, so no address in the page carries the token
// (a copied image address gives nothing away).
const (
	// actionLoadFile: fetch a file (a fileReq) into a blob URL, told to
	// its viewers by the state fileState names.
	actionLoadFile = "hark.load-file"
	// actionAttach: upload a file (an app.Value of a browser File) for
	// the composer's conversation.
	actionAttach = "hark.attach"
)

const (
	// fileTimeout bounds one upload or download.
	fileTimeout = 2 * time.Minute
	// maxClientFile is the largest file the app reads into memory to
	// send or show; the server's own limit (-max-file) is usually lower
	// and is what refuses with a clear message.
	maxClientFile = 64 << 20
)

// fileReq asks for a file's bytes, or its thumbnail's; Save downloads it
// once loaded (under Name).
type fileReq struct {
	ID    string
	Name  string
	Thumb bool
	Save  bool
}

// fileState names the state holding the blob URL of a file or its
// thumbnail once loaded: "" until then.
func fileState(id string, thumb bool) string {
	if thumb {
		return "hark.file." + id + ".thumb"
	}
	return "hark.file." + id
}

// fileView is a message's file: an image, in a box of its shape from
// the start, that opens full size when activated; or a file's name and
// size, a button that downloads it.
type fileView struct {
	app.Compo

	File protocol.File

	// src is the shown image's blob URL, full the full image's when it
	// is opened; open: the full image is shown over the page.
	src, full string
	open      bool
}

func (v *fileView) OnMount(ctx app.Context) {
	if !v.File.Image() {
		return
	}
	ctx.ObserveState(fileState(v.File.ID, v.File.Thumb), &v.src)
	if v.File.Thumb {
		// Observed from the start, through the component's own context:
		// the element a click comes from may be re-rendered away. (One
		// component observes a state once: without a thumbnail, src is
		// the full image.)
		ctx.ObserveState(fileState(v.File.ID, false), &v.full)
	}
	if v.src == "" {
		ctx.NewActionWithValue(actionLoadFile, fileReq{ID: v.File.ID, Thumb: v.File.Thumb})
	}
}

func (v *fileView) Render() app.UI {
	f := v.File
	if !f.Image() {
		return app.Button().Type("button").Class("file").
			Aria("label", "Download "+f.Name+", "+sizeLabel(f.Size)).
			OnClick(func(ctx app.Context, e app.Event) {
				ctx.NewActionWithValue(actionLoadFile, fileReq{ID: f.ID, Name: f.Name, Save: true})
			}).
			Body(
				app.Span().Class("file-icon").Aria("hidden", "true").Text("📄"),
				app.Span().Class("file-name").Text(f.Name),
				app.Span().Class("file-size").Text(sizeLabel(f.Size)),
			)
	}
	w, h := fitBox(f.Width, f.Height, protocol.ThumbPixels)
	img := app.Img().Alt(f.Name).Width(w).Height(h)
	if v.src != "" {
		img = img.Src(v.src)
	}
	return app.Div().Class("file-image").Body(
		app.Button().Type("button").Class("image").
			Aria("label", "Open "+f.Name+", "+strconv.Itoa(f.Width)+" by "+strconv.Itoa(f.Height)).
			// The box has the image's shape before its bytes arrive, so
			// nothing below it moves when they do.
			Style("width", strconv.Itoa(w)+"px").
			Style("aspect-ratio", strconv.Itoa(w)+" / "+strconv.Itoa(h)).
			OnClick(v.openFull).
			Body(img),
		app.If(v.open, func() app.UI {
			return app.Div().Class("viewer").Attr("role", "dialog").Aria("label", f.Name).
				OnKeyDown(func(ctx app.Context, e app.Event) {
					if e.Get("key").String() == "Escape" {
						v.open = false
					}
				}).
				Body(
					app.Button().Type("button").Class("btn", "viewer-close").Aria("label", "Close").
						OnClick(func(ctx app.Context, e app.Event) { v.open = false }).Text("×"),
					app.If(v.fullSrc() != "", func() app.UI {
						return app.Img().Src(v.fullSrc()).Alt(f.Name).Width(f.Width).Height(f.Height)
					}).Else(func() app.UI {
						return app.P().Class("viewer-loading").Text("Loading " + f.Name + "…")
					}),
				)
		}),
	)
}

// fullSrc is the full image's blob URL, once loaded.
func (v *fileView) fullSrc() string {
	if !v.File.Thumb {
		return v.src
	}
	return v.full
}

// openFull shows the full image over the page, loading it first.
func (v *fileView) openFull(ctx app.Context, e app.Event) {
	v.open = true
	if v.fullSrc() == "" {
		ctx.NewActionWithValue(actionLoadFile, fileReq{ID: v.File.ID})
	}
	ctx.Defer(func(app.Context) { focusSelector(".viewer-close") })
}

// fitBox is w×h scaled down, keeping its shape, to at most most on its
// longer side (never up, never to 0).
func fitBox(w, h, most int) (int, int) {
	if w <= most && h <= most {
		return w, h
	}
	if w >= h {
		return most, max(1, h*most/w)
	}
	return max(1, w*most/h), most
}

// sizeLabel is a byte count as people read it: "512 B", "12 KB", "3.4 MB".
func sizeLabel(n int64) string {
	switch {
	case n < 1000:
		return strconv.FormatInt(n, 10) + " B"
	case n < 1000*1000:
		return strconv.FormatInt((n+500)/1000, 10) + " KB"
	}
	return strconv.FormatFloat(float64(n)/1e6, 'f', 1, 64) + " MB"
}

// loadFile fetches a file for the page: into a blob URL that fileState
// tells every viewer of it, once per file however many ask.
func (c *Chat) loadFile(ctx app.Context, r fileReq) {
	key := fileState(r.ID, r.Thumb)
	var have string
	ctx.GetState(key, &have)
	if have != "" {
		if r.Save {
			saveBlob(have, r.Name)
		}
		return
	}
	if c.fetching[key] {
		return
	}
	if c.fetching == nil {
		c.fetching = make(map[string]bool)
	}
	c.fetching[key] = true
	cl := c.client
	var data []byte
	var typ string
	call(ctx, fileTimeout, func(cctx context.Context) (err error) {
		data, typ, err = cl.FileData(cctx, r.ID, r.Thumb, maxClientFile)
		return err
	}, func(ctx app.Context, err error) {
		delete(c.fetching, key)
		if err != nil {
			c.actErr = "Could not load " + fileWhat(r) + ": " + errText(err)
			return
		}
		url := blobURL(data, typ)
		ctx.SetState(key, url)
		if r.Save {
			saveBlob(url, r.Name)
		}
	})
}

func fileWhat(r fileReq) string {
	if r.Name != "" {
		return r.Name
	}
	return "an image"
}

// errText is a refusal's message, or the failure's.
func errText(err error) string {
	if m, ok := serverSays(err); ok {
		return m
	}
	return err.Error()
}

// upload sends data as a file for the room room, or ("" room) for the
// conversation with to, and hands the File to done (or why not).
func upload(ctx app.Context, cl *client.Client, to, room, name, typ string, data []byte, done func(app.Context, protocol.File, error)) {
	var f protocol.File
	call(ctx, fileTimeout, func(cctx context.Context) (err error) {
		if room != "" {
			f, err = cl.UploadToRoom(cctx, room, name, typ, bytes.NewReader(data))
			return err
		}
		f, err = cl.Upload(cctx, to, name, typ, bytes.NewReader(data))
		return err
	}, func(ctx app.Context, err error) { done(ctx, f, err) })
}
