import { parseObjectText } from '../../kernel/arguments.js';
import { defineChatCommand } from '../chat-command.js';
import { message } from '../chat-message.js';
import { optionalText, providerChoices, requiredText } from '../command-options.js';
import { signedIn } from '../preconditions/index.js';

/** `/cloud-create-project project_id provider [settings]`: a new project, its creator its admin (global admins). */
export const cloudCreateProjectCommand = defineChatCommand({
  name: 'cloud-create-project',
  description: 'Create a project (global admins)',
  admin: true,
  options: (api) => [
    { name: 'project_id', description: 'Id: lowercase letters, digits, dashes', type: 'string', required: true },
    { name: 'provider', description: 'Cloud provider', type: 'string', required: true, choices: providerChoices(api) },
    { name: 'settings', description: 'Settings as JSON, e.g. {"region":"us-east-1"}', type: 'string', required: false },
  ],
  // Creating checks the id, provider and settings, then global admin (a refusal audited as project.create).
  preconditions: [signedIn],
  run: async ({ api, userId, args }) => {
    const text = optionalText(args, 'settings');
    const settings = text === undefined ? undefined : parseObjectText(text, 'settings');
    const project = await api.projects.create({ id: requiredText(args, 'project_id'), provider: requiredText(args, 'provider'), createdBy: userId, settings });
    return message(`Project ${project.id} (${project.provider}) created; you are its admin.`, { title: 'Project created', tone: 'success', ephemeral: false });
  },
});
