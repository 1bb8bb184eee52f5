/**
 * The MSS mission's recorded history, as the events a recorder would post,
 * in the order they are appended. Every figure comes from one of the five
 * articles in ../shared/seeds/ and every event cites it in `source`.
 *
 * Reading conventions ("honest data"):
 * - No number is invented. A vague figure keeps its vagueness in the
 *   Quantity: "at least 600" is `at-least` 600; "tens of bullets" is
 *   `approximate` 20 (the lower bound, the figure used in totals) up to 99,
 *   with the article's wording in `reported`. A plural with no count
 *   ("APCs arrived") is `at-least` 2, and the note says no count was given.
 * - No date is invented. A bare date has precision `day`. When the article
 *   only bounds the date, the precision is `month` or `range`, `occurredAt`
 *   is the day by which the event had certainly happened and, for a range,
 *   `occurredFrom` is the earliest it can have happened. The note says how
 *   each bound was read.
 * - Undated articles are dated from their own text where possible:
 *   001 (Ruto–Blinken call "on Thursday", "a day after Donald Trump won the
 *   US presidential election", with a delivery "between October 28 and
 *   November 3" after the June 2024 deployment) is read as written on
 *   Thursday 7 November 2024 — the one outside fact used, the date of the
 *   2024 US election (5 November). 004 is read as written before the first
 *   contingent arrived (it says the mission "is set to arrive in the coming
 *   weeks"), i.e. by 30 June 2024. 002 and 003 are not dated.
 * - Who gave or received something is only named when the article names it.
 *   "The US" is `us-government`, not a guessed agency; a donor the article
 *   does not name is `unattributed-donor`; a seizure by "security forces" in
 *   a joint operation is credited to a joint party, not to one force.
 * - Registrations (parties, item types) are ledger bookkeeping, not reported
 *   facts: they are dated to the opening of the mission's books, October
 *   2023 (the Security Council approval month given in 004), and cite the
 *   article where the party or item first appears.
 * - Corrections are never edits: a figure an article got wrong is recorded
 *   as reported, then reversed with `EntryReversed`, then recorded again as
 *   corrected, so an auditor sees all three. They share a correlationId and
 *   each names the one before it as its causationId.
 * - `reference` gives line numbers in the article file (as `cat -n` shows
 *   them). A fact confirmed by a second article lists that article in
 *   `source.alsoCites`, and the `note` says where in it (line numbers) and
 *   what exactly it confirms. An article used only to bound a date (e.g. 004
 *   for the October 2023 approval) is named in the note, not in alsoCites:
 *   it does not report the same fact.
 * - A role the article does not state is `unspecified`, never guessed: the
 *   troops from the Bahamas, Jamaica and Belize that "have joined the
 *   mission" (001, line 30) are recorded as one PersonnelDeployed each, with
 *   role `unspecified` ("troops" is also 001's word for the Kenyan police),
 *   count `at-least` 1 (001 gives no count: at least one per country is the
 *   only figure the sentence supports) and a range date: joined by 001's
 *   date, 7 November 2024, and not before the mission's approval in October
 *   2023 (004). No contingent party or location is named, so none is given.
 *   004 (line 5) lists the Bahamas and Jamaica among the nations the mission
 *   is "expected to deploy" from: a plan, so it is not cited as confirmation.
 * - Force generation: the six other countries on 004's list (line 5) of nations
 *   the mission is "expected to deploy" from (Guyana, Barbados, Antigua and
 *   Barbuda, Bangladesh, Benin, Chad) are recorded as one PersonnelPledged
 *   each, with no count (no per-country size is given) and role `unspecified`.
 *
 * Reported but deliberately NOT recorded as events:
 * - Plans and authorisations, which are not deployments: Kenya's plan to send
 *   600 more police within a year, the next team "set to leave" at the end of
 *   November (001); Ruto's commitment of 600 more officers "this month"
 *   (002); the deployment of 1,000 Kenyan police (004); the authorised or
 *   expected strength of 2,500 (000, 001, 003, 004); the $600 million annual
 *   cost estimate (001).
 * - Uncounted, untyped things: INL's "other assistance" and "other law
 *   enforcement tools" (001); the "reinforcements and equipment" (000); the
 *   US "funding and resources" in "hundreds of millions" (004, subsumed by
 *   the $300M and $60M pledges recorded below).
 * - The $30 million US contract awarded to GardaWorld Federal Services for
 *   base-construction security (004): a procurement by the US, not a
 *   donation or pledge to a party of this ledger.
 * - Arrests of gang members and operations without materiel figures (000,
 *   002, 003).
 */
import type { IncomingEvent, Quantity } from '../events/index.js';

/** The five source articles, as file names in ../shared/seeds/. */
export const SEED_ARTICLES = [
  '000_b83c8061e6c268b2.txt',
  '001_3438a411d22fd52d.txt',
  '002_e3dc9c5a8fd89ef4.txt',
  '003_72cf3374ab3c3fe3.txt',
  '004_26e19b7403042e9a.txt',
] as const;

const [A000, A001, , A003, A004] = SEED_ARTICLES;

/** Registrations are dated to the opening of the mission's books: approval month October 2023 (004). */
const BOOKS_OPEN = { occurredAt: '2023-10-31', occurredPrecision: 'month' } as const;
const BOOKS_NOTE = 'registration dated to the mission approval month, October 2023 (004); a bookkeeping date';

const exact = (value: number): Quantity => ({ value, precision: 'exact' });

/** Ids of the events other seeds or tests refer to. */
export const SEED_IDS = {
  usHandover: '75ce818c-07e1-4051-9e7a-b666c4048f1e',
  helicoptersDispatched: '0c5f2028-4d25-4eb9-b6d8-4ee30e0f2fa0',
  helicoptersReceived: '3c4fd67b-97a4-41ea-95e2-97d32e9e1638',
  inlApcDelivery: 'b21e3c00-bc82-4e89-86bb-9d2c1a3c1bd3',
  tabarreSeizure: '35ff4006-5737-4fb2-ab9a-ddc644227f0b',
  firstKenyanContingent: '18294434-12fb-4fd7-b240-19ad6c37854c',
  secondKenyanContingentAsReported: '7009e6d5-fea0-4d00-80c9-306f724125c1',
  secondKenyanContingentReversal: '5a2e50e0-de6c-4202-b39a-2f3a1c571707',
  secondKenyanContingentCorrected: '33a20d30-670d-42a4-906f-d4fa0d97b02b',
  pledgeMission: '599fedd4-cf9b-443e-9672-a22a1ef67f96',
  pledgeEquipment: '6670f3c4-314b-4dde-afb0-b539151d4fb0',
  bahamasJoined: '73175619-ab75-4945-ad5f-5efe613026ca',
  jamaicaJoined: '9d27858d-298e-47cb-9a7f-509931e8096a',
  belizeJoined: '52cdc24a-6639-4b8a-ab84-def09cb12720',
  guyanaPledged: '5f606bef-65c4-4f09-aebe-d6ce00ae72e7',
  barbadosPledged: '1271990e-2946-4977-ad6f-a61711289f97',
  antiguaAndBarbudaPledged: '45b7a748-97af-4d56-9519-28989dea3f5d',
  bangladeshPledged: '0b7baa36-dd01-4c0b-bff8-8be4835c9160',
  beninPledged: '1b9bb425-ac29-448b-ab59-ca3eee799ebd',
  chadPledged: 'ba41cade-600b-48e9-a8c1-c62e02ea59ce',
} as const;

/** 001's only sentence on the other contributors, as the article words it (line 30). */
const JOINED_WORDING = 'troops from the Bahamas, Jamaica and Belize have joined the mission';

/**
 * One country's troops that "have joined the mission" per 001 (line 30): no
 * count, role, contingent, place or date is given, so none is invented.
 */
const joinedPer001 = (country: 'bahamas' | 'jamaica' | 'belize', id: string): IncomingEvent => ({
  id,
  type: 'PersonnelDeployed',
  occurredAt: '2024-11-07',
  occurredPrecision: 'range',
  occurredFrom: '2023-10-01',
  data: {
    country,
    role: 'unspecified',
    count: { value: 1, precision: 'at-least', reported: JOINED_WORDING },
  },
  source: {
    document: A001,
    reference: 'line 30',
    note: `001: "Apart from Kenya, ${JOINED_WORDING}." Count: none given; "troops" from each country means at least one each, the only figure the article supports, so at-least 1 (the lower bound used in totals, not an estimate). Role: unspecified - "troops" is also 001's word for the Kenyan police (line 23), so neither police nor military can be read from it. No contingent or location is named. Dates: no date given; joined by the article's date, 2024-11-07 (the Thursday after the 2024 US election, as read for 001 throughout), and not before the mission's approval in October 2023 (004, line 4). 004 (line 5) names the Bahamas and Jamaica only among the nations the mission is "expected to deploy" from - a plan, not a confirmation - so it is not in alsoCites.`,
  },
});

/** The countries 004 (line 5) lists among those the mission is "expected to deploy" personnel from, besides the Bahamas and Jamaica (already there per 001). */
type PledgingCountry = 'guyana' | 'barbados' | 'antigua-and-barbuda' | 'bangladesh' | 'benin' | 'chad';

/**
 * One country's pledged contingent, as 004 (line 5) reports it: named among the
 * nations the 2,500 personnel are expected from, with no size, role or date of
 * its own. So no count (the event leaves it out) and role `unspecified`.
 */
const expectedPer004 = (country: PledgingCountry, name: string, id: string): IncomingEvent => ({
  id,
  type: 'PersonnelPledged',
  occurredAt: '2024-06-30',
  occurredPrecision: 'range',
  occurredFrom: '2023-10-01',
  data: { country, role: 'unspecified' },
  source: {
    document: A004,
    reference: 'line 5',
    note: `004 names ${name} among the nations the mission "is expected to deploy" its 2,500 personnel from: an expectation of a contingent, recorded as a pledge. No size is given for any one country (2,500 is the whole mission's), so none is recorded; nor a role ("personnel"). Dated as 004's other figures: by 2024-06-30 (written before the mission arrived), not before the October 2023 approval (line 4).`,
  },
});

export const missionHistory: IncomingEvent[] = [
  // ---------------------------------------------------------------- parties

  // The US as a whole: 000 and 004 say only "the US" / "the U.S.", never which agency.
  {
    id: 'e7fdd79f-40d1-49f3-81ae-c1c1ec49d5de',
    type: 'PartyRegistered',
    ...BOOKS_OPEN,
    data: {
      partyId: 'us-government',
      kind: 'donor',
      name: 'United States government (agency not named by the source)',
      country: 'united-states',
    },
    source: { document: A000, reference: 'line 1', note: BOOKS_NOTE },
  },
  // The State Department's INL bureau, named as the APC donor in 001.
  {
    id: '1b365343-37c2-4b9d-9137-ed8426ad47d3',
    type: 'PartyRegistered',
    ...BOOKS_OPEN,
    data: {
      partyId: 'us-inl',
      kind: 'donor',
      name: 'US Department of State, Bureau of International Narcotics and Law Enforcement Affairs (INL)',
      country: 'united-states',
    },
    source: { document: A001, reference: 'lines 13-18', note: BOOKS_NOTE },
  },
  // A donor account for items whose provider the article does not name (the helicopters in 000).
  {
    id: 'e727658b-8d60-4889-a9e5-322dcd11341c',
    type: 'PartyRegistered',
    ...BOOKS_OPEN,
    data: {
      partyId: 'unattributed-donor',
      kind: 'donor',
      name: 'Unattributed donor (the source does not say who provided the items)',
    },
    source: {
      document: A000,
      reference: 'line 15',
      note: `${BOOKS_NOTE}. Used instead of guessing a provider.`,
    },
  },
  // The mission itself.
  {
    id: 'db1417bb-02a2-417a-a18f-fbaa96604ac6',
    type: 'PartyRegistered',
    ...BOOKS_OPEN,
    data: { partyId: 'mss', kind: 'mission', name: 'Multinational Security Support Mission in Haiti (MSS)' },
    source: { document: A000, reference: 'line 1', note: BOOKS_NOTE },
  },
  // The Kenyan police contingent of the MSS.
  {
    id: 'a82fd5a3-075c-45d0-a468-5a13ca75d473',
    type: 'PartyRegistered',
    ...BOOKS_OPEN,
    data: { partyId: 'mss-kenya', kind: 'contingent', name: 'MSS Kenyan police contingent', country: 'kenya' },
    source: { document: A001, reference: 'lines 23-27', note: BOOKS_NOTE },
  },
  // The Haitian National Police (HNP / PNH), partner of the MSS in every article.
  {
    id: '5d805175-d500-4ed4-a2b2-98cb1eed9484',
    type: 'PartyRegistered',
    ...BOOKS_OPEN,
    data: { partyId: 'hnp', kind: 'police', name: 'Haitian National Police (HNP / PNH)', country: 'haiti' },
    source: { document: A000, reference: 'line 7', note: BOOKS_NOTE },
  },
  // The joint HNP/MSS security forces of the Tabarre operation (000): the article does not say which force took custody.
  {
    id: 'c7d12791-63a9-4703-b51b-49aceb8f4095',
    type: 'PartyRegistered',
    ...BOOKS_OPEN,
    data: {
      partyId: 'hnp-mss-joint-operation',
      kind: 'other',
      name: 'Joint HNP/MSS security forces (custody not attributed to either force by the source)',
      country: 'haiti',
    },
    source: {
      document: A000,
      reference: 'lines 27-31',
      note: `${BOOKS_NOTE}. 000 credits seizures to "security forces" in joint HNP/MSS operations without saying which force holds the materiel; this party keeps that ambiguity instead of picking one.`,
    },
  },
  // The Krazebarière gang (Vitèlôme's network, Viv Ansanm alliance), Tabarre.
  {
    id: '32cc49e8-f2fd-453c-8d36-3edca31148c0',
    type: 'PartyRegistered',
    ...BOOKS_OPEN,
    data: {
      partyId: 'gang-krazebariere',
      kind: 'armed-group',
      name: 'Krazebarière gang (Vitèlôme network, Viv Ansanm alliance), Tabarre',
      country: 'haiti',
    },
    source: { document: A000, reference: 'line 31', note: BOOKS_NOTE },
  },

  // ------------------------------------------------------------- item types

  // "Assorted guns" (000): the article gives no model, so one assorted firearm type.
  {
    id: 'f3f34f19-28d6-40e1-9c02-198ec7a73f9b',
    type: 'ItemTypeRegistered',
    ...BOOKS_OPEN,
    data: {
      itemType: 'firearm-assorted',
      name: 'Firearms, assorted (model not stated)',
      category: 'firearm',
      unit: 'each',
    },
    source: { document: A000, reference: 'line 1', note: BOOKS_NOTE },
  },
  // "Bullets" (000), calibre not stated.
  {
    id: 'd8914aec-48ea-4efc-b33d-5220f64972f5',
    type: 'ItemTypeRegistered',
    ...BOOKS_OPEN,
    data: {
      itemType: 'ammunition-assorted',
      name: 'Ammunition, assorted (calibre not stated)',
      category: 'ammunition',
      unit: 'rounds',
    },
    source: { document: A000, reference: 'line 3', note: BOOKS_NOTE },
  },
  // Pickups (000).
  {
    id: 'f4047616-9ae7-458a-8503-ac71e53f5f9d',
    type: 'ItemTypeRegistered',
    ...BOOKS_OPEN,
    data: { itemType: 'pickup-truck', name: 'Pickup truck', category: 'vehicle', unit: 'each' },
    source: { document: A000, reference: 'line 3', note: BOOKS_NOTE },
  },
  // Trucks (000).
  {
    id: '3a772cde-67aa-494e-be31-df2eea43123b',
    type: 'ItemTypeRegistered',
    ...BOOKS_OPEN,
    data: { itemType: 'truck', name: 'Truck', category: 'vehicle', unit: 'each' },
    source: { document: A000, reference: 'line 3', note: BOOKS_NOTE },
  },
  // Excavators (000).
  {
    id: 'c214dafc-3a95-43f1-a491-913916e01c90',
    type: 'ItemTypeRegistered',
    ...BOOKS_OPEN,
    data: { itemType: 'excavator', name: 'Excavator', category: 'vehicle', unit: 'each' },
    source: { document: A000, reference: 'line 3', note: BOOKS_NOTE },
  },
  // Armored loaders (000).
  {
    id: 'f82a9a21-1a47-49cb-b958-e140c689f0da',
    type: 'ItemTypeRegistered',
    ...BOOKS_OPEN,
    data: { itemType: 'armored-loader', name: 'Armored loader', category: 'armored-vehicle', unit: 'each' },
    source: { document: A000, reference: 'line 3', note: BOOKS_NOTE },
  },
  // Medevac/casevac helicopters (000).
  {
    id: '832f2f4a-3101-42f0-86f6-1ac235b873da',
    type: 'ItemTypeRegistered',
    ...BOOKS_OPEN,
    data: {
      itemType: 'helicopter-medevac',
      name: 'Helicopter for medical and casualty evacuation (Medevac/Casevac)',
      category: 'aircraft',
      unit: 'each',
    },
    source: { document: A000, reference: 'line 15', note: BOOKS_NOTE },
  },
  // Handguns (000, Tabarre seizure).
  {
    id: '743d98a8-dc12-40c1-b3ff-52d8acce5962',
    type: 'ItemTypeRegistered',
    ...BOOKS_OPEN,
    data: { itemType: 'handgun', name: 'Handgun (model not stated)', category: 'firearm', unit: 'each' },
    source: { document: A000, reference: 'line 31', note: BOOKS_NOTE },
  },
  // Communication radios (000, Tabarre seizure).
  {
    id: 'ccd80de7-27f0-4751-ba2e-40e49343da85',
    type: 'ItemTypeRegistered',
    ...BOOKS_OPEN,
    data: { itemType: 'radio', name: 'Communication radio', category: 'communications', unit: 'each' },
    source: { document: A000, reference: 'line 31', note: BOOKS_NOTE },
  },
  // Armored personnel carriers (001).
  {
    id: '45ff8282-3a6e-41ce-a4bd-3b0fbc71d487',
    type: 'ItemTypeRegistered',
    ...BOOKS_OPEN,
    data: { itemType: 'apc', name: 'Armored personnel carrier (APC)', category: 'armored-vehicle', unit: 'each' },
    source: { document: A001, reference: 'line 14', note: BOOKS_NOTE },
  },
  // US dollars, for money pledges (004). Pledges are not stock.
  {
    id: '76abf0ad-4dd2-4701-bb38-6913de1482d0',
    type: 'ItemTypeRegistered',
    ...BOOKS_OPEN,
    data: { itemType: 'funds-usd', name: 'Funds in US dollars', category: 'funds', unit: 'usd' },
    source: { document: A004, reference: 'line 6', note: BOOKS_NOTE },
  },

  // ---------------------------------------------------------------- pledges

  // The US pledge of $300 million for the mission (004).
  {
    id: SEED_IDS.pledgeMission,
    type: 'DonationPledged',
    occurredAt: '2024-06-30',
    occurredPrecision: 'range',
    occurredFrom: '2023-10-01',
    data: {
      donor: 'us-government',
      recipient: 'mss',
      lines: [{ itemType: 'funds-usd', quantity: exact(300_000_000) }],
    },
    source: {
      document: A004,
      reference: 'line 6',
      note: 'Article says the US "is also providing" $300 million for the mission; read as a pledge (money promised, not stock received). Donor is "the U.S." (agency not named). 004 is undated: it was written before the mission arrived ("set to arrive in the coming weeks"), so by the first contingent\'s arrival in June 2024 (001, 003) - hence by 2024-06-30; earliest bound is the Security Council approval in October 2023 (004). The pledge may have been announced before that approval; the article does not say when it was made.',
    },
  },
  // The additional US pledge of $60 million for equipment (004).
  {
    id: SEED_IDS.pledgeEquipment,
    type: 'DonationPledged',
    occurredAt: '2024-06-30',
    occurredPrecision: 'range',
    occurredFrom: '2023-10-01',
    data: { donor: 'us-government', recipient: 'mss', lines: [{ itemType: 'funds-usd', quantity: exact(60_000_000) }] },
    source: {
      document: A004,
      reference: 'line 6',
      note: 'An "additional $60 million for equipment", beside the $300 million; recipient read as the mission (the article says only "for equipment"). Dated as the $300 million pledge: by 2024-06-30, not before the October 2023 approval (see that entry).',
    },
  },

  // -------------------------------------------------------------- personnel

  // The first Kenyan contingent: 200 police in Port-au-Prince, June 2024 (001; "late June" per 003).
  {
    id: SEED_IDS.firstKenyanContingent,
    type: 'PersonnelDeployed',
    occurredAt: '2024-06-30',
    occurredPrecision: 'month',
    data: { country: 'kenya', role: 'police', count: exact(200), contingent: 'mss-kenya', location: 'Port-au-Prince' },
    source: {
      document: A001,
      reference: 'lines 23-25',
      alsoCites: [A003],
      note: '001: the first contingent of 200 Kenyan police arrived in Port-au-Prince in June 2024. 003 (line 3) agrees: 200 officers deployed to Port-au-Prince "in late June". No day is given, so precision month, occurredAt the last day of June.',
    },
  },
  // The second 200 Kenyan police AS 001 REPORTS THEM: "landing on November 7, 2023". Wrong; reversed below.
  {
    id: SEED_IDS.secondKenyanContingentAsReported,
    type: 'PersonnelDeployed',
    occurredAt: '2023-11-07',
    occurredPrecision: 'day',
    correlationId: 'kenya-second-contingent',
    data: { country: 'kenya', role: 'police', count: exact(200), contingent: 'mss-kenya' },
    source: {
      document: A001,
      reference: 'lines 25-27',
      note: 'Recorded exactly as 001 reports it: an additional 200 police "landing on November 7, 2023", for 400 Kenyans deployed in all. The date is impossible (see the reversal that follows) and is kept only so the ledger shows what was reported.',
    },
  },
  // Reversal of the 2023-dated entry: the date contradicts 001 itself, 003 and 004.
  {
    id: SEED_IDS.secondKenyanContingentReversal,
    type: 'EntryReversed',
    occurredAt: '2023-11-07',
    occurredPrecision: 'day',
    correlationId: 'kenya-second-contingent',
    causationId: SEED_IDS.secondKenyanContingentAsReported,
    data: {
      eventId: SEED_IDS.secondKenyanContingentAsReported,
      reason:
        'Date impossible. 001 puts the landing of the second 200 Kenyan police on 7 November 2023, but the Security Council approved the mission only in October 2023 (004), the first contingent arrived in June 2024 (001; late June per 003), and 003 says another 200 Kenyan police departed for Haiti after that first deployment, the day before the recapture of the port. The count (200) stands; the date does not. Replaced by the corrected entry that follows, citing 003. (7 November is the date of 001 itself in 2024, so the year was probably mistyped.)',
    },
    source: {
      document: A003,
      reference: 'lines 3 and 8',
      alsoCites: [A001],
      note: 'Reversal dated to the reversed entry, so that no as-of view counts these 200 officers in 2023. The correction rests on 003 (sequence of the two contingents: the first 200 in late June, line 3; another 200 departed later, line 8), confirmed by 001 itself (lines 23-25: the first contingent arrived in June 2024, so a second one cannot have landed in November 2023), and on 004 (line 4: approval in October 2023, only a bound, hence not in alsoCites).',
    },
  },
  // The second 200 Kenyan police, corrected: departed for Haiti after the late-June first contingent (003), deployed by 001's date.
  {
    id: SEED_IDS.secondKenyanContingentCorrected,
    type: 'PersonnelDeployed',
    occurredAt: '2024-11-07',
    occurredPrecision: 'range',
    occurredFrom: '2024-06-01',
    correlationId: 'kenya-second-contingent',
    causationId: SEED_IDS.secondKenyanContingentReversal,
    data: { country: 'kenya', role: 'police', count: exact(200), contingent: 'mss-kenya' },
    source: {
      document: A003,
      reference: 'lines 3 and 8',
      alsoCites: [A001],
      note: '003: another 200 Kenyan police departed for Haiti the day before the port recapture (a Wednesday), which came after the first 200 deployed in late June; 003 gives no calendar date, so none is invented. Count 200 also per 001 (lines 25-27). Bounds: not before June 2024 (the first contingent, 001); by 2024-11-07, the date of 001 (the Thursday after the 2024 US election), which says 400 Kenyans were then deployed. Arrival in Haiti read from "departed for Haiti"; landing place not stated.',
    },
  },

  // Troops from the Bahamas, Jamaica and Belize "have joined the mission" (001, line 30): one entry per country.
  joinedPer001('bahamas', SEED_IDS.bahamasJoined),
  joinedPer001('jamaica', SEED_IDS.jamaicaJoined),
  joinedPer001('belize', SEED_IDS.belizeJoined),

  // --------------------------------------------------------------- materiel

  // INL's delivery of APCs to the MSS, between 28 October and 3 November 2024 (001).
  {
    id: SEED_IDS.inlApcDelivery,
    type: 'DonationReceived',
    occurredAt: '2024-11-03',
    occurredPrecision: 'range',
    occurredFrom: '2024-10-28',
    data: {
      donor: 'us-inl',
      recipient: 'mss',
      lines: [
        {
          itemType: 'apc',
          quantity: { value: 2, precision: 'at-least', reported: 'Armored Personnel Carriers (APCs)' },
        },
      ],
      location: 'Haiti',
    },
    source: {
      document: A001,
      reference: 'lines 13-19',
      note: 'INL "delivered" APCs that "arrived in Haiti to double the MSS fleet", delivered "to the troops": recorded as a donation received by the mission (the APCs join the MSS fleet; the HNP is named only as a beneficiary of INL\'s support in general). Recorded as DonationReceived, not a shipment: 001 reports only the completed delivery, with no dispatch, carrier or origin. The article gives no count ("APCs", plural; the fleet size is not given either): at least 2. Year 2024 read from context (after the June 2024 deployment, before the November 2024 article). "Other assistance" and "other law enforcement tools" are not recorded: no type or count.',
    },
  },
  // Three medevac/casevac helicopters leave El Salvador on a Ukrainian cargo plane (000; provider not named).
  {
    id: SEED_IDS.helicoptersDispatched,
    type: 'ShipmentDispatched',
    occurredAt: '2025-02-11',
    occurredPrecision: 'range',
    occurredFrom: '2023-10-01',
    correlationId: 'heli-medevac-from-el-salvador',
    data: {
      shipmentId: 'heli-medevac-from-el-salvador',
      from: 'unattributed-donor',
      to: 'mss',
      lines: [{ itemType: 'helicopter-medevac', quantity: exact(3) }],
      carrier: 'Ukrainian cargo plane',
      origin: 'El Salvador',
      destination: 'Haiti',
    },
    source: {
      document: A000,
      reference: 'line 15',
      note: 'The article reports only the arrival; the departure from El Salvador is implied by it and recorded to keep the carrier and origin. It names no provider: "unattributed-donor" rather than a guess, and it does not say whether the helicopters were given, lent or contracted. Recipient read as the MSS from context (lines 17-19: the arrival of equipment shows the MSS remains operational). Dates: no date given; by the article date 2025-02-11, not before the mission\'s approval in October 2023 (004).',
    },
  },
  // The three helicopters arrive (000).
  {
    id: SEED_IDS.helicoptersReceived,
    type: 'ShipmentReceived',
    occurredAt: '2025-02-11',
    occurredPrecision: 'range',
    occurredFrom: '2023-10-01',
    correlationId: 'heli-medevac-from-el-salvador',
    causationId: SEED_IDS.helicoptersDispatched,
    data: {
      shipmentId: 'heli-medevac-from-el-salvador',
      lines: [{ itemType: 'helicopter-medevac', quantity: exact(3) }],
      location: 'Haiti',
    },
    source: {
      document: A000,
      reference: 'line 15',
      note: 'A cargo plane "had arrived" carrying three helicopters for Medevac and Casevac: all three recorded as received. No arrival date or airport given; bounded by the article date (2025-02-11) and the mission\'s approval (October 2023, 004). The article suggests a recent arrival but does not say when.',
    },
  },
  // The US handover to the MSS on Monday 10 February 2025 (000).
  {
    id: SEED_IDS.usHandover,
    type: 'DonationReceived',
    occurredAt: '2025-02-10',
    occurredPrecision: 'day',
    data: {
      donor: 'us-government',
      recipient: 'mss',
      lines: [
        {
          itemType: 'firearm-assorted',
          quantity: { value: 600, precision: 'at-least', reported: 'at least 600 assorted guns' },
        },
        { itemType: 'pickup-truck', quantity: exact(9) },
        { itemType: 'truck', quantity: exact(2) },
        { itemType: 'excavator', quantity: exact(2) },
        { itemType: 'armored-loader', quantity: exact(2) },
        {
          itemType: 'ammunition-assorted',
          quantity: { value: 20, precision: 'approximate', upTo: 99, reported: 'tens of bullets' },
        },
      ],
      location: 'Haiti',
    },
    source: {
      document: A000,
      reference: 'lines 1 and 3',
      note: 'Handover by "the US" (no agency named) to the MSS on Monday 10 February (2025: the article is dated 2025-02-11). Guns: "at least 600", type and calibre not stated. "Tens of bullets" read as two to nine tens: 20 (the lower bound, used in totals) up to 99. Vehicle counts are exact as given.',
    },
  },
  // The seizure of 15 handguns and 12 radios at the Krazebarière base in Tabarre by joint HNP/MSS forces (000).
  {
    id: SEED_IDS.tabarreSeizure,
    type: 'MaterielSeized',
    occurredAt: '2025-02-11',
    occurredPrecision: 'range',
    occurredFrom: '2025-02-08',
    data: {
      from: 'gang-krazebariere',
      by: 'hnp-mss-joint-operation',
      lines: [
        { itemType: 'handgun', quantity: exact(15) },
        { itemType: 'radio', quantity: exact(12) },
      ],
      location: 'Tabarre, Port-au-Prince (Krazebarière gang base)',
    },
    source: {
      document: A000,
      reference: 'line 31',
      note: '"Security forces" seized 15 handguns and 12 communication radios from the gang\'s base as the joint HNP/MSS operations "continued" in Tabarre; the article does not say whether the HNP or the MSS took them, so they go to the joint party. Dates: after the weekend operation in Croix-des-Bouquets began (Saturday 2025-02-08, the weekend before the article) and by the article date 2025-02-11.',
    },
  },

  // ------------------------------------------------------- force generation

  // The six countries 004 (line 5) expects personnel from, besides the Bahamas and Jamaica.
  expectedPer004('guyana', 'Guyana', SEED_IDS.guyanaPledged),
  expectedPer004('barbados', 'Barbados', SEED_IDS.barbadosPledged),
  expectedPer004('antigua-and-barbuda', 'Antigua and Barbuda', SEED_IDS.antiguaAndBarbudaPledged),
  expectedPer004('bangladesh', 'Bangladesh', SEED_IDS.bangladeshPledged),
  expectedPer004('benin', 'Benin', SEED_IDS.beninPledged),
  expectedPer004('chad', 'Chad', SEED_IDS.chadPledged),
];
