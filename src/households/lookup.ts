/** Indexed look-ups households make through a DeriveView (by id, reference or identifier, never a scan), memoised per run. */
import type { DerivedResource, DeriveView } from "../derive/port.js";
import { normaliseString } from "../fhir/search-strings.js";
import type { SearchCriterion } from "../store/port.js";
import { NHS_NUMBER_SYSTEM, refOf } from "./records.js";

/** The look-ups of one derivation run; each distinct query is asked once. */
export class Lookup {
  private readonly reads = new Map<string, Promise<DerivedResource | undefined>>();
  private readonly finds = new Map<string, Promise<DerivedResource[]>>();
  /** Reference look-ups, keyed `type param target` (the most asked: a cheap key, no criteria to serialise). */
  private readonly references = new Map<string, Promise<DerivedResource[]>>();

  constructor(readonly view: DeriveView) {}

  /** A current resource by `Type/id`. */
  read(key: string): Promise<DerivedResource | undefined> {
    let r = this.reads.get(key);
    if (!r) {
      const [type, id] = key.split("/") as [string, string];
      r = this.view.read(type, id);
      this.reads.set(key, r);
    }
    return r;
  }

  private find(type: string, criteria: SearchCriterion[]): Promise<DerivedResource[]> {
    const key = `${type}?${JSON.stringify(criteria)}`;
    let r = this.finds.get(key);
    if (!r) {
      r = this.view.find(type, criteria);
      this.finds.set(key, r);
    }
    return r;
  }

  /** Resources of `type` whose reference parameter `param` points at `target`. */
  byReference(type: string, param: string, target: string): Promise<DerivedResource[]> {
    const key = `${type} ${param} ${target}`;
    let r = this.references.get(key);
    if (!r) {
      r = this.view.find(type, [{ kind: "reference", param, targets: [target] }]);
      this.references.set(key, r);
    }
    return r;
  }

  /**
   * Asks {@link byReference} for each of `targets` not yet asked, in one query where the view can answer per target
   * (DeriveView `findReferencingEach`), so that the per-target calls that follow are answered from the memo. Without
   * it, nothing is asked ahead and each per-target call queries as before.
   */
  async prefetchReferencing(type: string, param: string, targets: Iterable<string>): Promise<void> {
    const each = this.view.findReferencingEach;
    if (!each) return;
    const keyOf = (t: string) => `${type} ${param} ${t}`;
    const missing = [...new Set(targets)].filter((t) => !this.references.has(keyOf(t)));
    if (missing.length === 0) return;
    const found = await each.call(this.view, type, param, missing);
    for (const t of missing)
      if (!this.references.has(keyOf(t))) this.references.set(keyOf(t), Promise.resolve(found.get(t) ?? []));
  }

  /** As {@link prefetchReferencing}, for {@link read}s of `keys` (`Type/id`), where the view has `readEach`. */
  async prefetchReads(keys: Iterable<string>): Promise<void> {
    const each = this.view.readEach;
    if (!each) return;
    const missing = [...new Set(keys)].filter((k) => !this.reads.has(k));
    if (missing.length === 0) return;
    const found = await each.call(this.view, missing);
    for (const k of missing) if (!this.reads.has(k)) this.reads.set(k, Promise.resolve(found.get(k)));
  }

  /** Resources of `type` carrying NHS number `nhs`. */
  byNhsNumber(type: string, nhs: string): Promise<DerivedResource[]> {
    return this.find(type, [
      { kind: "token", param: "identifier", values: [{ system: NHS_NUMBER_SYSTEM, value: nhs }] },
    ]);
  }

  /**
   * Resources of `type` with an address at postcode `postcode` (normalised, e.g. "ZZ99 3AA"), written with or
   * without the space: a prefix match on the whole postcode, which no longer valid postcode extends.
   */
  byPostcode(type: string, postcode: string): Promise<DerivedResource[]> {
    const spaced = normaliseString(postcode);
    return this.find(type, [
      { kind: "string", param: "address-postalcode", values: [spaced, spaced.replace(/ /g, "")], match: "prefix" },
    ]);
  }

  /** Patient records linked with `key` (a Patient or RelatedPerson) by the person index, without `key` itself. */
  async personMates(key: string): Promise<{ person: string; patient: string }[]> {
    return (await this.linked(key, "Patient/")).map(({ person, record }) => ({ person, patient: record }));
  }

  /** RelatedPersons the person index links with `key` (a Patient): mentions of the same person in relatives' records. */
  async personMentions(key: string): Promise<{ person: string; relatedPerson: string }[]> {
    return (await this.linked(key, "RelatedPerson/")).map(({ person, record }) => ({ person, relatedPerson: record }));
  }

  private async linked(key: string, prefix: string): Promise<{ person: string; record: string }[]> {
    const out: { person: string; record: string }[] = [];
    for (const person of await this.byReference("Person", "link", key)) {
      const links = Array.isArray(person.link) ? (person.link as { target?: unknown }[]) : [];
      for (const l of links) {
        const t = refOf(l.target);
        if (t?.startsWith(prefix) && t !== key) out.push({ person: `Person/${person.id}`, record: t });
      }
    }
    return out;
  }
}
