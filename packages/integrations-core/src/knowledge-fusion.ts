/**
 * Reciprocal rank fusion (Cormack, Clarke and Büttcher, "Reciprocal Rank Fusion outperforms Condorcet and individual
 * Rank Learning Methods", SIGIR 2009): each list adds 1 / (k + rank) to the items it ranks, rank from 1; k = 60 as in
 * the paper. Scores from different rankers (BM25, cosine similarity) are never compared, only ranks.
 */

/** The paper's constant. */
export const RRF_K = 60;

/** Fuses ranked lists of ids (best first) into one, best first, with each id's fused score. */
export function reciprocalRankFusion(
  lists: readonly (readonly string[])[],
  k = RRF_K,
): { id: string; score: number }[] {
  const scores = new Map<string, number>();
  for (const list of lists)
    list.forEach((id, i) => {
      scores.set(id, (scores.get(id) ?? 0) + 1 / (k + i + 1));
    });
  return [...scores].map(([id, score]) => ({ id, score })).sort((a, b) => b.score - a.score || (a.id < b.id ? -1 : 1));
}
