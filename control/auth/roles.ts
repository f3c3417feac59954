/** Roles are ordered: an admin can do what an operator can, an operator what a viewer can. */
import type { Role } from '../repositories/users.ts';

export { ROLES, type Role } from '../repositories/users.ts';

const RANK: Record<Role, number> = { viewer: 1, operator: 2, admin: 3 };

export const roleAtLeast = (role: Role, minimum: Role): boolean => RANK[role] >= RANK[minimum];
