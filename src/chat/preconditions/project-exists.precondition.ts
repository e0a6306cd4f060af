import { requiredOption, resultOf, type Precondition } from './precondition.js';

/** The project named by `option` exists; refused as NOT_FOUND, saying how to find the ids. */
export function projectExists(option = 'project'): Precondition {
  return {
    name: 'projectExists',
    async run({ api, args }) {
      const project = requiredOption(args, option);
      if ('refusal' in project) return project.refusal;
      return resultOf(() => api.projects.get(project.value));
    },
  };
}
