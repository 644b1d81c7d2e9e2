import { useDb } from '#server/database'
import { publicSurveyList } from '#server/services/surveys'

export default defineEventHandler(() => publicSurveyList(useDb()))
