/** Every item of a paged listing, following next_marker until the listing is not truncated. */
export async function allPages<T>(fetch: (marker: string) => Promise<{ items: T[]; truncated: boolean; nextMarker: string }>): Promise<T[]> {
  const all: T[] = [];
  for (let marker = ""; ; ) {
    const page = await fetch(marker);
    all.push(...page.items);
    if (!page.truncated) return all;
    marker = page.nextMarker;
  }
}
