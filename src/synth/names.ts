/**
 * Synthetic name and place lists. The names are ordinary given names and surnames combined at
 * random; the streets and towns are invented. No list comes from any record about real people.
 */
import type { Rng } from "./prng.js";

export const FEMALE_NAMES: readonly string[] = (
  "Amelia Olivia Isla Ava Emily Sophie Grace Mia Poppy Ella Lily Evie Jessica Chloe Ruby Hannah " +
  "Katherine Elizabeth Rebecca Rachel Sarah Laura Gemma Kelly Donna Joanne Nicola Michelle Lisa Claire " +
  "Zoe Amy Leanne Stacey Jennifer Samantha Victoria Charlotte Natalie Danielle Aisha Fatima Zainab " +
  "Amina Priya Anjali Nadia Sana Mariam Chidinma Ngozi Adaeze Agnieszka Katarzyna Ioana Siobhan Niamh " +
  "Mei Keisha Shanice"
).split(" ");

export const MALE_NAMES: readonly string[] = (
  "Oliver George Harry Noah Jack Jacob Leo Oscar Charlie Freddie Alfie Thomas William James Joshua " +
  "Daniel Matthew Samuel Joseph Benjamin Robert Richard Michael Christopher Anthony Stephen Steven Mark " +
  "Paul Andrew David Lee Craig Dean Wayne Gary Jonathan Nicholas Alexander Edward Mohammed Ahmed Imran " +
  "Bilal Arjun Rohan Kwame Chinedu Emeka Tomasz Piotr Andrei Sean Declan Kieran Liam Callum Ryan Tyrone " +
  "Wei"
).split(" ");

export const FAMILY_NAMES: readonly string[] = (
  "Smith Jones Taylor Brown Williams Wilson Johnson Davies Robinson Wright Thompson Evans Walker White " +
  "Roberts Green Hall Wood Jackson Clarke Harris Lewis Martin Cooper Hill Ward Hughes Moore Turner King " +
  "Baker Harrison Morris Parker Phillips Edwards Bennett Carter Mitchell Shaw Lee Allen Young Morgan " +
  "Kelly Scott Price Bailey Cook Richardson Macdonald Reid Stewart Murphy Byrne O'Brien Gallagher Doyle " +
  "Kowalski Nowak Popescu Khan Hussain Ali Ahmed Begum Patel Shah Singh Kaur Okafor Adeyemi Mensah " +
  "Campbell Francis Grant Chen Wong Gray Fletcher"
).split(" ");

/** Given name → everyday forms (nicknames) a service might record instead. */
export const NICKNAMES: Readonly<Record<string, readonly string[]>> = {
  Katherine: ["Kate", "Katie", "Kathy"],
  Elizabeth: ["Liz", "Beth", "Lizzie"],
  Rebecca: ["Becky", "Becca"],
  Jessica: ["Jess"],
  Samantha: ["Sam", "Sammy"],
  Victoria: ["Vicky", "Tori"],
  Charlotte: ["Charlie", "Lottie"],
  Jennifer: ["Jenny", "Jen"],
  Nicola: ["Nicky"],
  Danielle: ["Dani"],
  Natalie: ["Nat"],
  Joanne: ["Jo"],
  Amelia: ["Millie"],
  Hannah: ["Anna"],
  William: ["Will", "Bill", "Billy"],
  Robert: ["Rob", "Bob", "Bobby"],
  Richard: ["Rick", "Dick", "Richie"],
  Michael: ["Mike", "Mick"],
  Christopher: ["Chris"],
  Anthony: ["Tony", "Ant"],
  Stephen: ["Steve"],
  Steven: ["Steve"],
  Andrew: ["Andy", "Drew"],
  David: ["Dave"],
  Jonathan: ["Jon", "Jonny"],
  Nicholas: ["Nick", "Nicky"],
  Alexander: ["Alex", "Sandy"],
  Edward: ["Ed", "Eddie", "Ted"],
  James: ["Jim", "Jamie"],
  Joshua: ["Josh"],
  Daniel: ["Dan", "Danny"],
  Matthew: ["Matt"],
  Samuel: ["Sam", "Sammy"],
  Joseph: ["Joe", "Joey"],
  Benjamin: ["Ben"],
  Thomas: ["Tom", "Tommy"],
  Mohammed: ["Mo"],
  Alfie: ["Alfred"],
  Freddie: ["Fred"],
  Harry: ["Henry"],
};

/** Spelling variants seen between systems (given and family names). */
export const SPELLINGS: Readonly<Record<string, readonly string[]>> = {
  Katherine: ["Catherine", "Kathryn"],
  Rebecca: ["Rebekah"],
  Zoe: ["Zoë", "Zoey"],
  Leanne: ["Lianne", "Leann"],
  Stacey: ["Stacy"],
  Gemma: ["Jemma"],
  Claire: ["Clare"],
  Sophie: ["Sophia"],
  Isla: ["Islay"],
  Evie: ["Eve"],
  Aisha: ["Ayesha"],
  Fatima: ["Fatimah"],
  Mariam: ["Maryam"],
  Siobhan: ["Shevaun"],
  Niamh: ["Neve"],
  Stephen: ["Steven"],
  Steven: ["Stephen"],
  Jonathan: ["Johnathan", "Jonathon"],
  Mohammed: ["Muhammad", "Mohammad", "Mohamed"],
  Ahmed: ["Ahmad"],
  Sean: ["Shaun", "Shawn"],
  Lee: ["Leigh"],
  Callum: ["Calum"],
  Philip: ["Phillip"],
  Thompson: ["Thomson"],
  Clarke: ["Clark"],
  Macdonald: ["MacDonald", "McDonald"],
  Reid: ["Reed", "Read"],
  Phillips: ["Philips"],
  Stewart: ["Stuart"],
  "O'Brien": ["OBrien", "O Brien"],
  Hussain: ["Hussein", "Husain"],
  Begum: ["Begam"],
  Gray: ["Grey"],
  Davies: ["Davis"],
  Byrne: ["Burns"],
  Kowalski: ["Kowalska"],
};

const STREET_WORDS: readonly string[] =
  "Acacia Alder Ashgrove Beacon Bramble Brookfield Canal Castle Cedar Chapel Church Clover Coldwell Copper Cranbrook Elm Falcon Fernhill Foundry Foxglove Furnace Garden Glebe Granary Harbour Hawthorn Heather Holly Kiln Lark Linden Maltings Meadow Mill Moor Orchard Osier Paddock Pinfold Quarry Rowan School Sorrel Spinney Station Tannery Teasel Thistle Weaver Willow".split(
    " ",
  );
const STREET_KINDS = ["Road", "Street", "Lane", "Close", "Avenue", "Crescent", "Way", "Grove", "Terrace", "Court"];

/** An invented street name. */
export const streetName = (rng: Rng): string => `${rng.pick(STREET_WORDS)} ${rng.pick(STREET_KINDS)}`;

/** Invented districts, one list per invented town. */
export const DISTRICTS: Readonly<Record<string, readonly string[]>> = {
  Eastbridge: ["Eastbridge", "Cold Ashby Vale", "Marlow Fen", "Upper Eastbridge"],
  Northwold: ["Northwold", "Hallowmere", "Kettleby Cross", "Wolds End"],
};

/** A small deliberate typo: two adjacent letters swapped, or a doubled letter dropped. */
export function typo(rng: Rng, name: string): string {
  if (name.length < 4) return name;
  for (let i = 1; i < name.length - 1; i++) {
    if (name[i] === name[i + 1] && rng.chance(0.6)) return name.slice(0, i) + name.slice(i + 1);
  }
  const i = rng.int(1, name.length - 2);
  const a = name[i] as string;
  const b = name[i + 1] as string;
  if (a === b || !/[a-z]/.test(a) || !/[a-z]/.test(b)) return name;
  return name.slice(0, i) + b + a + name.slice(i + 2);
}
