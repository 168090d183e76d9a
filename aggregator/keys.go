package aggregator

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/isthmus-xyz/isthmus/prover"
)

// KeysBucket is the JetStream object store that carries keys to workers: each key folder of
// the store as objects "<folder>/<file>", its manifest last. The object store chunks them
// and checks each object's SHA-256; a worker checks each file again against the manifest's
// checksums before it takes the folder into its store.
const KeysBucket = "isthmus-keys"

// PublishKeys puts the newest stored keys of each circuit into the object store, checked
// against their manifest first; files already there with their size are not sent again.
func (q *Queue) PublishKeys(ctx context.Context, store *prover.Store, circuits []string) error {
	obs, err := q.JS.CreateOrUpdateObjectStore(ctx, jetstream.ObjectStoreConfig{Bucket: KeysBucket,
		Description: "Isthmus Groth16 keys, by key folder", Storage: jetstream.FileStorage})
	if err != nil {
		return fmt.Errorf("object store %s: %w", KeysBucket, err)
	}
	for _, name := range circuits {
		m, err := store.CheckCircuit(name)
		if err != nil {
			return err
		}
		dir := store.Folder(m)
		if err := prover.CheckFile(filepath.Join(dir, "pk.dump"), m.Files["pk.dump"]); err != nil {
			return err
		}
		folder := filepath.Base(dir)
		files := make([]string, 0, len(m.Files)+1)
		for f := range m.Files {
			files = append(files, f)
		}
		sort.Strings(files)
		for _, f := range append(files, prover.ManifestFile) {
			object := path.Join(folder, f)
			fi, err := os.Stat(filepath.Join(dir, f))
			if err != nil {
				return err
			}
			if info, err := obs.GetInfo(ctx, object); err == nil && int64(info.Size) == fi.Size() && f != prover.ManifestFile {
				continue
			}
			file, err := os.Open(filepath.Join(dir, f))
			if err != nil {
				return err
			}
			_, err = obs.Put(ctx, jetstream.ObjectMeta{Name: object}, file)
			file.Close()
			if err != nil {
				return fmt.Errorf("publish %s: %w", object, err)
			}
			q.Log.Info("key file published", "object", object, "bytes", fi.Size())
		}
	}
	return nil
}

// FetchKeys fetches from the object store the newest keys of each circuit the store does not
// hold, and takes a folder in only when every file matches the manifest's checksum. It
// returns the circuits it could not fetch, each error naming the circuit and the file.
func (q *Queue) FetchKeys(ctx context.Context, store *prover.Store, circuits []string) error {
	obs, err := q.JS.ObjectStore(ctx, KeysBucket)
	if errors.Is(err, jetstream.ErrBucketNotFound) {
		return fmt.Errorf("no keys on the server (object store %s): publish them with 'isthmus keys publish --nats URL'", KeysBucket)
	}
	if err != nil {
		return err
	}
	objects, err := obs.List(ctx)
	if err != nil && !errors.Is(err, jetstream.ErrNoObjectsFound) {
		return err
	}
	manifests := map[string]*prover.Manifest{} // newest by circuit
	raw := map[string][]byte{}
	for _, o := range objects {
		folder, file := path.Split(o.Name)
		if file != prover.ManifestFile {
			continue
		}
		data, err := obs.GetBytes(ctx, o.Name)
		if err != nil {
			return fmt.Errorf("%s: %w", o.Name, err)
		}
		var m prover.Manifest
		if err := json.Unmarshal(data, &m); err != nil || len(m.Digest) < 16 || prover.FolderName(m.Circuit, m.Digest) != strings.TrimSuffix(folder, "/") {
			q.Log.Warn("a malformed manifest in the object store: skipped", "object", o.Name, "err", err)
			continue
		}
		if old, ok := manifests[m.Circuit]; !ok || m.CreatedAt.After(old.CreatedAt) {
			manifests[m.Circuit], raw[m.Circuit] = &m, data
		}
	}
	var errs []error
	for _, name := range circuits {
		if _, err := store.CheckCircuit(name); err == nil {
			continue
		}
		m, ok := manifests[name]
		if !ok {
			errs = append(errs, fmt.Errorf("circuit %s: no keys in the object store %s", name, KeysBucket))
			continue
		}
		if err := q.fetchFolder(ctx, obs, store, m, raw[name]); err != nil {
			errs = append(errs, fmt.Errorf("circuit %s: %w", name, err))
		}
	}
	return errors.Join(errs...)
}

func (q *Queue) fetchFolder(ctx context.Context, obs jetstream.ObjectStore, store *prover.Store, m *prover.Manifest, manifest []byte) error {
	if err := os.MkdirAll(store.Dir, 0o755); err != nil {
		return err
	}
	tmp, err := os.MkdirTemp(store.Dir, ".fetch-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	folder := prover.FolderName(m.Circuit, m.Digest)
	for f, sum := range m.Files {
		if f != filepath.Base(f) {
			return fmt.Errorf("%w: manifest names file %q", prover.ErrChecksum, f)
		}
		to := filepath.Join(tmp, f)
		if err := obs.GetFile(ctx, path.Join(folder, f), to); err != nil {
			return fmt.Errorf("fetch %s/%s: %w", folder, f, err)
		}
		if err := prover.CheckFile(to, sum); err != nil {
			return fmt.Errorf("%s/%s from the object store: %w", folder, f, err)
		}
	}
	if err := os.WriteFile(filepath.Join(tmp, prover.ManifestFile), manifest, 0o644); err != nil {
		return err
	}
	if err := os.Rename(tmp, store.Folder(m)); err != nil {
		return err
	}
	q.Log.Info("keys fetched from the object store", "circuit", m.Circuit, "digest", m.Digest[:16])
	return nil
}
