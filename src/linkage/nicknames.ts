/**
 * Given-name equivalents (nicknames and short forms) the linker treats as the same name.
 *
 * Provenance: compiled for this project from common English usage (no third-party list copied), so it
 * carries the repository's licence. Each line is one group of names that may stand for each other;
 * a name may appear in more than one group (Alex: Alexander, Alexandra). Extend by adding groups.
 */
const GROUPS: readonly string[] = [
  "alexander alex alec alexandra sandy sasha lexi",
  "alexandra alex alexa lexi sandra sandy",
  "andrew andy drew",
  "anthony tony ant",
  "benjamin ben benny benji",
  "catherine katherine kathryn cathy kate katie kat kitty",
  "charles charlie chas chuck",
  "charlotte charlie lottie lotte",
  "christopher chris kit topher",
  "christine christina chris tina chrissie",
  "daniel dan danny",
  "david dave davy",
  "deborah debra debbie deb",
  "edward ed eddie ted ned",
  "elizabeth liz lizzie beth betty eliza elsie libby lisa",
  "eleanor ellie nora ella",
  "frederick fred freddie",
  "gregory greg",
  "henry harry hal",
  "isabella isabel izzy bella",
  "jacob jake",
  "james jim jimmy jamie",
  "jennifer jenny jen",
  "jessica jess jessie",
  "john jack johnny jon",
  "jonathan jon jonny",
  "joseph joe joey",
  "joshua josh",
  "kenneth ken kenny",
  "lawrence laurence larry laurie",
  "margaret maggie meg peggy margo",
  "matthew matt",
  "michael mike mick mickey",
  "nicholas nick nicky",
  "oliver olly ollie",
  "patricia pat patty trish tricia",
  "patrick pat paddy",
  "peter pete",
  "rebecca becky becca",
  "richard rick ricky dick rich",
  "robert rob robbie bob bobby bert",
  "samantha sam sammy",
  "samuel sam sammy",
  "sarah sara sally",
  "stephen steven steve stevie",
  "susan sue susie suzanne",
  "thomas tom tommy",
  "timothy tim timmy",
  "victoria vicky tori",
  "william will bill billy liam willie",
  "zachary zach zack",
];

const EQUIVALENT = new Map<string, Set<string>>();
for (const group of GROUPS) {
  const names = group.split(" ");
  for (const n of names) {
    const set = EQUIVALENT.get(n) ?? new Set<string>();
    for (const m of names) if (m !== n) set.add(m);
    EQUIVALENT.set(n, set);
  }
}

/** True when two (normalised, lower-case) given names are nicknames or short forms of each other. */
export function nicknameOf(a: string, b: string): boolean {
  return EQUIVALENT.get(a)?.has(b) ?? false;
}
