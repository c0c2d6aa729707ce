/** The National Provider Identifier's check digit (CMS NPI standard: Luhn over `80840` + the NPI). */

/** NPI: 10 digits whose last is the Luhn check digit of `80840` + the first nine (CMS NPI standard). */
export function isValidNpi(npi: string): boolean {
  if (!/^\d{10}$/.test(npi)) return false;
  const digits = `80840${npi}`;
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let digit = digits.charCodeAt(digits.length - 1 - i) - 48;
    if (i % 2 === 1) {
      digit *= 2;
      if (digit > 9) digit -= 9;
    }
    sum += digit;
  }
  return sum % 10 === 0;
}

/** The check digit that makes `first9` a valid NPI (used by generators and tests). */
export function npiCheckDigit(first9: string): number {
  for (let digit = 0; digit <= 9; digit++) if (isValidNpi(`${first9}${digit}`)) return digit;
  throw new Error('unreachable: one digit always satisfies Luhn');
}
