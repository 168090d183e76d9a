package aggregator

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"sort"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/isthmus-xyz/isthmus/prover"
)

// KeysBucket is the JetStream object store that carries keys to workers: each key folder of
// the store as objects "<folder>/<file>", its manifest last. The object store chunks them
// and checks each object's SHA-256; a worker checks each file again against the manifest's
// checksums before it takes the folder into its store.
const KeysBucket = "isthmus-keys"

// PublishKeys puts the newest stored keys of each circuit into the object store, checked
// against their manifest first; files already there with their checksum are not sent again.
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
			if info, err := obs.GetInfo(ctx, object); err == nil && f != prover.ManifestFile && sameObject(info, m.Files[f]) {
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

// sameObject reports whether an object holds the file of checksum sum: the same size and
// SHA-256 (a file of the same size with other bytes is sent again).
func sameObject(info *jetstream.ObjectInfo, sum prover.FileSum) bool {
	d, err := jetstream.DecodeObjectDigest(info.Digest)
	return err == nil && int64(info.Size) == sum.Size && hex.EncodeToString(d) == sum.SHA256
}

// FetchKeys fetches from the object store the keys of each circuit the store does not hold,
// as pinned: the folder whose manifest names the pinned digest, each file checked against the
// pin's checksum (not the fetched manifest's), and the manifest stored with the pin's trust
// (development or not), never the fetched manifest's own word. A circuit without a pin is not
// fetched. It returns the circuits it could not fetch, each error naming the circuit and the
// file.
func (q *Queue) FetchKeys(ctx context.Context, store *prover.Store, circuits []string, pins prover.Pins) error {
	obs, err := q.JS.ObjectStore(ctx, KeysBucket)
	if errors.Is(err, jetstream.ErrBucketNotFound) {
		return fmt.Errorf("no keys on the server (object store %s): publish them with 'isthmus keys publish --nats URL'", KeysBucket)
	}
	if err != nil {
		return err
	}
	var errs []error
	for _, name := range circuits {
		if _, err := store.CheckCircuit(name); err == nil {
			continue
		}
		pin, ok := pins[name]
		if !ok {
			errs = append(errs, fmt.Errorf("circuit %s: %w: fetched keys are taken only as pinned ('isthmus keys pins' where the keys were made, then --key-pins)", name, prover.ErrUnpinned))
			continue
		}
		object := path.Join(prover.FolderName(pin.Circuit, pin.Digest), prover.ManifestFile)
		data, err := obs.GetBytes(ctx, object)
		if errors.Is(err, jetstream.ErrObjectNotFound) {
			errs = append(errs, fmt.Errorf("circuit %s: the pinned keys (digest %.16s) are not in the object store %s", name, pin.Digest, KeysBucket))
			continue
		}
		if err != nil {
			return fmt.Errorf("%s: %w", object, err)
		}
		var m prover.Manifest
		if err := json.Unmarshal(data, &m); err != nil {
			errs = append(errs, fmt.Errorf("circuit %s: %s: %w", name, object, err))
			continue
		}
		if err := pin.Matches(&m); err != nil {
			errs = append(errs, fmt.Errorf("circuit %s: the object store's manifest: %w", name, err))
			continue
		}
		if err := q.fetchFolder(ctx, obs, store, pin.Trusted(m)); err != nil {
			errs = append(errs, fmt.Errorf("circuit %s: %w", name, err))
		}
	}
	return errors.Join(errs...)
}

// fetchFolder fetches the files m names into a new folder of the store, each checked against
// its checksum in m, and writes m as the folder's manifest.
func (q *Queue) fetchFolder(ctx context.Context, obs jetstream.ObjectStore, store *prover.Store, m prover.Manifest) error {
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
		if f != filepath.Base(f) || f == prover.ManifestFile {
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
	manifest, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(tmp, prover.ManifestFile), manifest, 0o644); err != nil {
		return err
	}
	if err := os.Rename(tmp, store.Folder(&m)); err != nil {
		return err
	}
	q.Log.Info("pinned keys fetched from the object store", "circuit", m.Circuit, "digest", m.Digest[:16], "development", m.Development)
	return nil
}
