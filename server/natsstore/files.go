package natsstore

import (
	"context"
	"encoding/json"
	"errors"
	"io"

	"github.com/nats-io/nats.go/jetstream"

	"hark/server/chat"
)

// FilesBucket is the object store bucket of uploaded files.
const FilesBucket = "hark_files"

// metaKey is the key of ObjectMeta.Metadata that holds a file's
// chat.FileMeta, as JSON: one key, so the metadata is read and written
// whole.
const metaKey = "hark"

// thumbSuffix names a file's thumbnail: a second object beside it, so the
// thumbnail is read without the file and deleted with it.
const thumbSuffix = ".thumb"

// Files is chat.FileStore on a JetStream object store: each file is an
// object named by its id, streamed in chunks both ways (never whole in
// memory), its metadata in the object's; a thumbnail is a second object.
// Every node reads the same bucket, so a file uploaded on one node is
// read on any other.
type Files struct {
	obs jetstream.ObjectStore
}

func openFiles(ctx context.Context, js jetstream.JetStream, cfg Config) (*Files, error) {
	var obs jetstream.ObjectStore
	err := settle(ctx, func() (err error) {
		obs, err = js.CreateOrUpdateObjectStore(ctx, jetstream.ObjectStoreConfig{
			Bucket:   FilesBucket,
			Storage:  jetstream.FileStorage,
			Replicas: cfg.Replicas,
			// Files go when their messages could: a file older than
			// what the log keeps has no message left to show it.
			TTL: cfg.MaxAge,
		})
		return err
	})
	if err != nil {
		return nil, err
	}
	// A file uploaded through one node is read through another a moment
	// later. The object store's stream allows direct gets, which any
	// replica may answer, one that has not applied the upload yet among
	// them ("no such file"), so its reads are made to go to the leader,
	// as the KV buckets' are (leaderReads): direct gets off, and the
	// store bound again so its handle knows. (Making the store again at
	// a node's start turns them on for a moment; a node bound before
	// keeps reading from the leader.)
	err = settle(ctx, func() error {
		st, err := js.Stream(ctx, "OBJ_"+FilesBucket)
		if err != nil {
			return err
		}
		if scfg := st.CachedInfo().Config; scfg.AllowDirect {
			scfg.AllowDirect = false
			if _, err := js.UpdateStream(ctx, scfg); err != nil {
				return err
			}
		}
		obs, err = js.ObjectStore(ctx, FilesBucket)
		return err
	})
	if err != nil {
		return nil, err
	}
	return &Files{obs: obs}, nil
}

// Put implements chat.FileStore. The thumbnail goes first, so a file
// that is there has its thumbnail there too.
func (f *Files) Put(ctx context.Context, meta chat.FileMeta, r io.Reader, thumb []byte) (chat.FileMeta, error) {
	id := meta.File.ID
	meta.File.Thumb = thumb != nil
	if thumb != nil {
		if _, err := f.obs.PutBytes(ctx, id+thumbSuffix, thumb); err != nil {
			return chat.FileMeta{}, err
		}
	}
	om, err := objectMeta(id, meta)
	if err != nil {
		return chat.FileMeta{}, err
	}
	info, err := f.obs.Put(ctx, om, r)
	if err != nil {
		if thumb != nil {
			f.obs.Delete(context.WithoutCancel(ctx), id+thumbSuffix)
		}
		return chat.FileMeta{}, err
	}
	meta.File.Size = int64(info.Size)
	return meta, nil
}

// objectMeta is the object's metadata for a file's.
func objectMeta(id string, meta chat.FileMeta) (jetstream.ObjectMeta, error) {
	b, err := json.Marshal(meta)
	if err != nil {
		return jetstream.ObjectMeta{}, err
	}
	return jetstream.ObjectMeta{Name: id, Metadata: map[string]string{metaKey: string(b)}}, nil
}

// fileMeta reads a file's metadata back from its object's; Size is the
// object's, which the store counted.
func fileMeta(info *jetstream.ObjectInfo) (chat.FileMeta, error) {
	var meta chat.FileMeta
	if err := json.Unmarshal([]byte(info.Metadata[metaKey]), &meta); err != nil {
		return chat.FileMeta{}, err
	}
	meta.File.Size = int64(info.Size)
	return meta, nil
}

// Stat implements chat.FileStore.
func (f *Files) Stat(ctx context.Context, id string) (chat.FileMeta, error) {
	info, err := f.obs.GetInfo(ctx, id)
	if err != nil {
		return chat.FileMeta{}, noFile(err)
	}
	return fileMeta(info)
}

// Open implements chat.FileStore.
func (f *Files) Open(ctx context.Context, id string, thumb bool) (chat.FileMeta, io.ReadCloser, error) {
	if !thumb {
		res, err := f.obs.Get(ctx, id)
		if err != nil {
			return chat.FileMeta{}, nil, noFile(err)
		}
		info, err := res.Info()
		if err == nil {
			var meta chat.FileMeta
			if meta, err = fileMeta(info); err == nil {
				return meta, res, nil
			}
		}
		res.Close()
		return chat.FileMeta{}, nil, err
	}
	meta, err := f.Stat(ctx, id)
	if err != nil {
		return chat.FileMeta{}, nil, err
	}
	if !meta.File.Thumb {
		return chat.FileMeta{}, nil, chat.ErrNoFile
	}
	res, err := f.obs.Get(ctx, id+thumbSuffix)
	if err != nil {
		return chat.FileMeta{}, nil, noFile(err)
	}
	return meta, res, nil
}

// Sent implements chat.FileStore.
func (f *Files) Sent(ctx context.Context, id, sent string, after uint64) error {
	meta, err := f.Stat(ctx, id)
	if err != nil {
		return err
	}
	meta.Sent, meta.After = sent, after
	om, err := objectMeta(id, meta)
	if err != nil {
		return err
	}
	if err := f.obs.UpdateMeta(ctx, id, om); errors.Is(err, jetstream.ErrUpdateMetaDeleted) {
		return chat.ErrNoFile
	} else if err != nil {
		return err
	}
	return nil
}

// Delete implements chat.FileStore: the file, then its thumbnail.
func (f *Files) Delete(ctx context.Context, id string) error {
	for _, name := range []string{id, id + thumbSuffix} {
		if err := f.obs.Delete(ctx, name); err != nil && !errors.Is(err, jetstream.ErrObjectNotFound) {
			return err
		}
	}
	return nil
}

// noFile is err as a FileStore says it: chat.ErrNoFile for an object not
// there.
func noFile(err error) error {
	if errors.Is(err, jetstream.ErrObjectNotFound) {
		return chat.ErrNoFile
	}
	return err
}
