/* Benchmark of near-duplicate search: the multi-index hash index on 10^6 random 256-bit hashes
 * with 10^4 planted clusters at threshold 8, checked for recall 1.0 against the planted pairs,
 * against an in-run brute-force baseline timed on a sample and extrapolated quadratically; then
 * the whole ie_duplicates_find on the same hashes as manifest records. Prints peak RSS.
 *
 * usage: bench_near_dups [N [CLUSTERS [SAMPLE]]]   (defaults 1000000 10000 20000)
 * Single-threaded, so it measures one core. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "imgeda/duplicates.h"
#include "imgeda/util.h"

#define THRESHOLD 8
#define NONE      UINT32_MAX

static uint64_t rng_next(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static struct ie_hash256 random_hash(uint64_t *s)
{
    struct ie_hash256 h;
    for (int k = 0; k < 4; k++)
        h.w[k] = rng_next(s);
    return h;
}

/* base with k distinct random bits flipped */
static struct ie_hash256 flip_bits(struct ie_hash256 h, int k, uint64_t *s)
{
    int done = 0;
    struct ie_hash256 mask = {{0, 0, 0, 0}};
    while (done < k) {
        unsigned p = (unsigned)(rng_next(s) % 256);
        uint64_t bit = 1ull << (p % 64);
        if (!(mask.w[p / 64] & bit)) {
            mask.w[p / 64] |= bit;
            done++;
        }
    }
    for (int j = 0; j < 4; j++)
        h.w[j] ^= mask.w[j];
    return h;
}

/* The baseline's distance, inlined so the brute force is not slowed by a call per pair. */
static inline int distance(const struct ie_hash256 *a, const struct ie_hash256 *b)
{
    return __builtin_popcountll(a->w[0] ^ b->w[0]) + __builtin_popcountll(a->w[1] ^ b->w[1]) +
           __builtin_popcountll(a->w[2] ^ b->w[2]) + __builtin_popcountll(a->w[3] ^ b->w[3]);
}

static double peak_rss_mb(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_maxrss / 1024.0; /* Linux reports KiB */
}

struct pair_stats {
    const uint32_t *cluster_of;
    uint32_t *parent;
    size_t pairs, planted_found, other;
};

static uint32_t uf_find(uint32_t *parent, uint32_t x)
{
    while (parent[x] != x)
        x = parent[x] = parent[parent[x]];
    return x;
}

static int on_pair(void *ud, size_t a, size_t b, int d)
{
    struct pair_stats *ps = ud;
    (void)d;
    ps->pairs++;
    if (ps->cluster_of[a] != NONE && ps->cluster_of[a] == ps->cluster_of[b])
        ps->planted_found++;
    else
        ps->other++;
    if (ps->parent) {
        uint32_t ra = uf_find(ps->parent, (uint32_t)a), rb = uf_find(ps->parent, (uint32_t)b);
        if (ra != rb)
            ps->parent[IE_MAX(ra, rb)] = IE_MIN(ra, rb);
    }
    return 0;
}

int main(int argc, char **argv)
{
    size_t n = argc > 1 ? strtoull(argv[1], NULL, 10) : 1000000;
    size_t nclusters = argc > 2 ? strtoull(argv[2], NULL, 10) : 10000;
    size_t sample = argc > 3 ? strtoull(argv[3], NULL, 10) : 20000;
    uint64_t seed = 20240601;
    struct ie_err err = {0};
    int rc = 1;

    if (nclusters * 6 > n || sample > n || sample < 2) {
        fprintf(stderr, "need N >= 6*CLUSTERS and 2 <= SAMPLE <= N\n");
        return 1;
    }
    printf("near_dups: N=%zu hashes, %zu planted clusters, threshold %d, sample %zu\n", n,
           nclusters, THRESHOLD, sample);

    /* Planted clusters first (a base and 1..5 members each within 1..8 bits of it), random
     * hashes after, then a shuffle so clusters are scattered over the array. */
    struct ie_hash256 *h = ie_xmalloc(n * sizeof(*h));
    uint32_t *cluster_of = ie_xmalloc(n * sizeof(*cluster_of));
    size_t *cstart = ie_xmalloc((nclusters + 1) * sizeof(*cstart));
    size_t k = 0;
    for (size_t c = 0; c < nclusters; c++) {
        struct ie_hash256 base = random_hash(&seed);
        size_t members = 1 + rng_next(&seed) % 5;
        cstart[c] = k;
        h[k] = base;
        cluster_of[k++] = (uint32_t)c;
        for (size_t m = 0; m < members; m++) {
            h[k] = flip_bits(base, 1 + (int)(rng_next(&seed) % THRESHOLD), &seed);
            cluster_of[k++] = (uint32_t)c;
        }
    }
    cstart[nclusters] = k;
    size_t nplanted = k;
    /* Every in-cluster pair within the threshold is a planted pair (base-member pairs always
     * are; member-member pairs when their flips overlap enough). */
    size_t planted_pairs = 0;
    for (size_t c = 0; c < nclusters; c++)
        for (size_t i = cstart[c]; i < cstart[c + 1]; i++)
            for (size_t j = i + 1; j < cstart[c + 1]; j++)
                planted_pairs += ie_hash256_distance(&h[i], &h[j]) <= THRESHOLD;
    for (; k < n; k++) {
        h[k] = random_hash(&seed);
        cluster_of[k] = NONE;
    }
    for (size_t i = n - 1; i > 0; i--) {
        size_t j = rng_next(&seed) % (i + 1);
        struct ie_hash256 th = h[i];
        uint32_t tc = cluster_of[i];
        h[i] = h[j];
        cluster_of[i] = cluster_of[j];
        h[j] = th;
        cluster_of[j] = tc;
    }
    printf("  planted: %zu hashes in clusters, %zu planted pairs within %d bits\n", nplanted,
           planted_pairs, THRESHOLD);
    printf("  peak RSS after generating data: %.1f MB\n", peak_rss_mb());

    /* 1. The index on all N hashes: build, all pairs, union-find. */
    struct ie_hash_index ix;
    struct pair_stats ps = {cluster_of, NULL, 0, 0, 0};
    ie_hash_index_init(&ix);
    ps.parent = ie_xmalloc(n * sizeof(*ps.parent));
    for (size_t i = 0; i < n; i++)
        ps.parent[i] = (uint32_t)i;
    double t0 = ie_mono_seconds();
    if (ie_hash_index_build(&ix, h, n, THRESHOLD, &err)) {
        fprintf(stderr, "index: %s\n", err.msg);
        goto out;
    }
    double t_build = ie_mono_seconds() - t0;
    ie_hash_index_pairs(&ix, on_pair, &ps);
    double t_index = ie_mono_seconds() - t0;
    size_t comps = 0;
    for (size_t i = 0; i < n; i++)
        comps += cluster_of[i] != NONE && uf_find(ps.parent, (uint32_t)i) == i;
    double rss_index = peak_rss_mb();
    ie_hash_index_release(&ix);
    double recall = planted_pairs ? (double)ps.planted_found / (double)planted_pairs : 1.0;
    printf("  index: build %.3f s, build+pairs+union-find %.3f s; %zu pairs (%zu planted, %zu "
           "other)\n",
           t_build, t_index, ps.pairs, ps.planted_found, ps.other);
    printf("  recall vs planted pairs: %.6f (%zu/%zu); clusters recovered as components: "
           "%zu/%zu\n",
           recall, ps.planted_found, planted_pairs, comps, nclusters);
    printf("  peak RSS after the index: %.1f MB\n", rss_index);

    /* 2. Brute force on the first SAMPLE hashes, and the index on the same sample. */
    t0 = ie_mono_seconds();
    size_t brute_pairs = 0;
    for (size_t i = 0; i < sample; i++)
        for (size_t j = i + 1; j < sample; j++)
            brute_pairs += distance(&h[i], &h[j]) <= THRESHOLD;
    double t_brute = ie_mono_seconds() - t0;
    struct pair_stats ps2 = {cluster_of, NULL, 0, 0, 0};
    t0 = ie_mono_seconds();
    if (ie_hash_index_build(&ix, h, sample, THRESHOLD, &err)) {
        fprintf(stderr, "index: %s\n", err.msg);
        goto out;
    }
    ie_hash_index_pairs(&ix, on_pair, &ps2);
    double t_index_sample = ie_mono_seconds() - t0;
    ie_hash_index_release(&ix);
    double scale = ((double)n / (double)sample) * ((double)n / (double)sample);
    double t_brute_n = t_brute * scale;
    printf("  brute force on %zu: %.3f s, %zu pairs (index on the same sample: %.4f s, %zu "
           "pairs: %s)\n",
           sample, t_brute, brute_pairs, t_index_sample, ps2.pairs,
           ps2.pairs == brute_pairs ? "same" : "DIFFERENT");
    printf("  brute force extrapolated to %zu (x%.0f): %.0f s = %.1f min; index speed-up: "
           "%.0fx\n",
           n, scale, t_brute_n, t_brute_n / 60, t_brute_n / t_index);

    /* 3. The whole ie_duplicates_find over N manifest records with these phashes. */
    struct ie_record *recs = ie_xcalloc(n, sizeof(*recs));
    char path[48];
    for (size_t i = 0; i < n; i++) {
        ie_record_init(&recs[i]);
        snprintf(path, sizeof(path), "data/%02zu/%07zu.jpg", i % 100, i);
        recs[i].path = ie_xstrdup(path);
        recs[i].has_phash = true;
        recs[i].phash = h[i];
        recs[i].has_pixel_stats = true;
        recs[i].pixel_stats.std_r = recs[i].pixel_stats.std_g = recs[i].pixel_stats.std_b = 50;
    }
    double rss_recs = peak_rss_mb();
    struct ie_duplicates d;
    ie_duplicates_init(&d);
    t0 = ie_mono_seconds();
    if (ie_duplicates_find(recs, n, NULL, &d, &err)) {
        fprintf(stderr, "duplicates: %s\n", err.msg);
        goto out;
    }
    double t_find = ie_mono_seconds() - t0;
    size_t in_groups = 0;
    for (size_t g = 0; g < d.near.n; g++)
        in_groups += d.near.groups[g].n;
    printf("  ie_duplicates_find on %zu records (sizeof record %zu B): %.3f s; %zu near groups "
           "holding %zu records (planted: %zu clusters, %zu records)\n",
           n, sizeof(struct ie_record), t_find, d.near.n, in_groups, nclusters, nplanted);
    printf("  peak RSS: %.1f MB with the records alone, %.1f MB after ie_duplicates_find\n",
           rss_recs, peak_rss_mb());
    rc = recall == 1.0 && ps2.pairs == brute_pairs && d.near.n == nclusters && in_groups == nplanted
             ? 0
             : 1;
    printf("  %s\n", rc ? "FAILED" : "ok: recall 1.0, sample identical to brute force");
    ie_duplicates_release(&d);
    for (size_t i = 0; i < n; i++)
        ie_record_release(&recs[i]);
    free(recs);

out:
    free(ps.parent);
    free(h);
    free(cluster_of);
    free(cstart);
    return rc;
}
