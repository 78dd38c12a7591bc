/** NHS number modulus-11 check (NHS Data Dictionary, NHS NUMBER; reference notes §4.2). */

/** The check digit for the first nine digits, or undefined when no valid check digit exists (remainder gives 10). */
export function nhsCheckDigit(firstNine: string): number | undefined {
  if (!/^\d{9}$/.test(firstNine)) return undefined;
  let sum = 0;
  for (let i = 0; i < 9; i++) sum += Number(firstNine[i]) * (10 - i);
  const check = 11 - (sum % 11);
  if (check === 11) return 0;
  if (check === 10) return undefined;
  return check;
}

/** True when `value` is ten digits (spaces allowed) with a correct modulus-11 check digit. */
export function isValidNhsNumber(value: string): boolean {
  const digits = value.replace(/\s+/g, "");
  if (!/^\d{10}$/.test(digits)) return false;
  return nhsCheckDigit(digits.slice(0, 9)) === Number(digits[9]);
}

/** Ten digits without spaces, or undefined if `value` is not a well-formed NHS number. */
export function normaliseNhsNumber(value: string): string | undefined {
  const digits = value.replace(/\s+/g, "");
  return isValidNhsNumber(digits) ? digits : undefined;
}

/** True for the synthetic test range 999 000 0000 – 999 999 9999 (valid format, never issued). */
export function isTestRangeNhsNumber(value: string): boolean {
  return /^999\d{7}$/.test(value.replace(/\s+/g, ""));
}
