// Test issuer keys and token minting, shared by node and workers tests (Web Crypto only).
import { exportJWK, generateKeyPair, type JWK, SignJWT } from "jose";

/** A test issuer: its key pair, public JWKS and a signer. */
export interface TestIssuer {
  issuer: string;
  audience: string;
  publicJwk: JWK;
  privateKey: Awaited<ReturnType<typeof generateKeyPair>>["privateKey"];
  sign(
    claims?: Record<string, unknown>,
    options?: { expiresIn?: string | number; notBefore?: string | number; audience?: string },
  ): Promise<string>;
}

/** Claims of an ordinary practitioner in a mental health trust. */
export const PRACTITIONER = {
  sub: "practitioner-1",
  org: "RX4",
  org_type: "mh-trust",
  role: "practitioner",
  purpose_of_use: "direct-care",
};

/** Creates an ES256 test issuer. */
export async function createTestIssuer(
  issuer = "https://idp.test.invalid",
  audience = "think-family-gateway",
): Promise<TestIssuer> {
  const { publicKey, privateKey } = await generateKeyPair("ES256", { extractable: true });
  const publicJwk = {
    ...(await exportJWK(publicKey)),
    kid: `k-${issuer.length}-${Math.random().toString(36).slice(2, 8)}`,
    alg: "ES256",
  };
  return {
    issuer,
    audience,
    publicJwk,
    privateKey,
    sign(claims = PRACTITIONER, options = {}) {
      const jwt = new SignJWT({ ...claims })
        .setProtectedHeader({ alg: "ES256", kid: publicJwk.kid as string, typ: "JWT" })
        .setIssuer(issuer)
        .setAudience(options.audience ?? audience)
        .setIssuedAt()
        .setExpirationTime(options.expiresIn ?? "10m");
      if (typeof claims.sub === "string") jwt.setSubject(claims.sub);
      if (options.notBefore !== undefined) jwt.setNotBefore(options.notBefore);
      return jwt.sign(privateKey);
    },
  };
}
